#!/usr/bin/env bash
# rekap form print/template/check end to end: a small store built with the importers, forms
# printed as PDF and PNG, and every bad request refused with a clear message and no output file.
# shellcheck source=small_store.bash
. "$(dirname "$0")/small_store.bash"

pdf_pages() { grep -a -c -E '/Type /Page([^s]|$)' "$1"; }

# PDF, both pages, race chosen by kind.
"$REKAP" form print --db "$db" --tps 1101012001003 --race bupati --out bup.pdf >/dev/null
[ "$(head -c 4 bup.pdf)" = "%PDF" ] || fail "bup.pdf is not a PDF"
[ "$(pdf_pages bup.pdf)" = 2 ] || fail "bup.pdf has $(pdf_pages bup.pdf) pages, expected 2"
grep -a -q 'MediaBox \[ *0 0 595' bup.pdf || fail "bup.pdf is not A4"

# One page only, plano, race chosen by numeric id (the governor race is imported first: id 1).
"$REKAP" form print --db "$db" --tps 1101012001003 --race 1 --page 2 --scale plano \
    --out gub.pdf >/dev/null
[ "$(pdf_pages gub.pdf)" = 1 ] || fail "gub.pdf should have 1 page"
grep -a -q 'MediaBox \[ *0 0 1700' gub.pdf || fail "gub.pdf is not plano-sized"

# PNG without --page: one file per page; with --page: exactly that file.
"$REKAP" form print --db "$db" --tps 1171011001001 --race walikota --format png --dpi 60 \
    --out wko.png >list.txt
[ "$(cat list.txt)" = "$(printf 'wko-1.png\nwko-2.png')" ] || fail "unexpected PNG names: $(cat list.txt)"
for f in wko-1.png wko-2.png; do
    [ "$(head -c 4 "$f" | tail -c 3)" = "PNG" ] || fail "$f is not a PNG"
done
[ ! -e wko.png ] || fail "wko.png should not exist when every page is printed"
"$REKAP" form print --db "$db" --tps 2101012001001 --race bupati --format png --page 2 \
    --dpi 60 --out kk.png >/dev/null
[ -s kk.png ] || fail "kk.png missing"

# Filled-in specimen.
echo '{"suara_paslon_1": 120, "suara_paslon_2": 80, "suara_sah": 200}' >vals.json
"$REKAP" form print --db "$db" --tps 2101012001001 --race bupati --fill vals.json \
    --out filled.pdf >/dev/null
[ "$(pdf_pages filled.pdf)" = 2 ] || fail "filled.pdf pages"

# Refusals: clear message, exit status, nothing written.
expect_fail 1 "not in the store" -- "$REKAP" form print --db "$db" --tps 1101012001009 \
    --race bupati --out x.pdf
expect_fail 1 "not a 13-digit TPS code" -- "$REKAP" form print --db "$db" --tps 11010120 \
    --race bupati --out x.pdf
expect_fail 1 "no walikota race covers" -- "$REKAP" form print --db "$db" --tps 1101012001003 \
    --race walikota --out x.pdf
kota_race=3 # race ids follow import order: gubernur 11 = 1, 1101 = 2, 1171 = 3, 2101 = 4
expect_fail 1 "does not cover TPS" -- "$REKAP" form print --db "$db" --tps 1101012001003 \
    --race "$kota_race" --out x.pdf
expect_fail 1 "race 99 not found" -- "$REKAP" form print --db "$db" --tps 1101012001003 \
    --race 99 --out x.pdf
expect_fail 1 "--page 3 but the form has 2 pages" -- "$REKAP" form print --db "$db" \
    --tps 1101012001003 --race bupati --page 3 --out x.pdf
expect_fail 2 "dpi must be" -- "$REKAP" form print --db "$db" --tps 1101012001003 \
    --race bupati --format png --dpi 5 --out x.png
expect_fail 2 "usage" -- "$REKAP" form print --db "$db" --tps 1101012001003 --race bupati \
    --format tiff --out x.pdf
echo '{"suara_paslon_3": 5}' >bad-vals.json
expect_fail 1 "the race has 2 candidates" -- "$REKAP" form print --db "$db" \
    --tps 2101012001001 --race bupati --fill bad-vals.json --out x.pdf
[ ! -e x.pdf ] && [ ! -e x.png ] || fail "a refused request left an output file"
ls ./*.tmp* >/dev/null 2>&1 && fail "temporary file left behind"

# Templates: dump the built-in one, check it, swap in a modified copy, reject a broken one.
"$REKAP" form template >layout.json
"$REKAP" form check layout.json | grep -q "ok: id chasil-kwk-v1, 2 pages" || fail "form check"
sed 's/"id": "chasil-kwk-v1"/"id": "kwk-custom"/' layout.json >custom.json
"$REKAP" form print --db "$db" --tps 1101012001003 --race bupati --template custom.json \
    --out custom.pdf >/dev/null
[ "$(pdf_pages custom.pdf)" = 2 ] || fail "custom.pdf pages"
sed 's/"name": "ss_rusak"/"name": "ss_hilang"/' layout.json >broken.json
expect_fail 1 "unknown field name 'ss_hilang'" -- "$REKAP" form check broken.json
expect_fail 1 "unknown field name 'ss_hilang'" -- "$REKAP" form print --db "$db" \
    --tps 1101012001003 --race bupati --template broken.json --out y.pdf
[ ! -e y.pdf ] || fail "broken template produced output"
expect_fail 2 "usage" -- "$REKAP" form frobnicate
echo "form_print: ok"
