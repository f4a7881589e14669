#!/usr/bin/env bash
# rekap read end to end: forms printed filled in by `rekap form print --fill`, read back as PNG
# scans with and without the store, the JSON a client overlays, and refused photos.
# shellcheck source=small_store.bash
. "$(dirname "$0")/small_store.bash"

cat >vals.json <<'EOF2'
{"suara_paslon_1": 120, "suara_paslon_2": 85, "suara_paslon_3": 41, "suara_sah": 246,
 "suara_tidak_sah": 7, "suara_total": 253,
 "pemilih_dpt_l": 210, "pemilih_dpt_p": 225, "pemilih_dpt_j": 435}
EOF2
"$REKAP" form print --db "$db" --tps 1101012001003 --race gubernur --format png --dpi 150 \
    --fill vals.json --out gub.png >/dev/null
[ -s gub-2.png ] && [ -s gub-1.png ] || fail "form print wrote no pages"

# Page 2 with the store: the race id and its 3 columns come from the store.
"$REKAP" read --db "$db" --json gub-2.png >p2.json
jq -e '.form.tps == "1101012001003" and .form.page == 2 and .form.race == "gub-11"' p2.json \
    >/dev/null || fail "identity: $(cat p2.json)"
jq -e '.ncand == 3 and (.race_id | type) == "number"' p2.json >/dev/null || fail "race: $(cat p2.json)"
for f in suara_paslon_1:120 suara_paslon_2:85 suara_paslon_3:41 suara_sah:246 \
         suara_tidak_sah:7 suara_total:253; do
    name=${f%%:*} want=${f##*:}
    jq -e --arg n "$name" --argjson w "$want" \
        '.fields[] | select(.name == $n) | (.value == $w) or .needs_review' p2.json >/dev/null \
        || fail "$name: not $want and not flagged"
done
# Every field carries three digits with boxes inside the photo, for the overlay.
jq -e '[.fields[] | .digits | length] | all(. == 3)' p2.json >/dev/null || fail "digits"
jq -e '.photo.width as $w | [.fields[].box[][0]] | all(. >= 0 and . < $w)' p2.json >/dev/null \
    || fail "boxes outside the photo"

# Page 1 without a store, as text: a filled row, and blank numbers flagged for a person.
"$REKAP" read gub-1.png >p1.txt
grep -q "pemilih_dpt_j" p1.txt || fail "text output: $(cat p1.txt)"
grep -Eq "^pengguna_dpt_l +\\? .*PERIKSA/CHECK blank" p1.txt || fail "blank not flagged: $(cat p1.txt)"

# Refusals: another TPS, another page, a photo that is no form, a file that is no photo.
expect_fail 1 "TPS lain" -- "$REKAP" read --tps 1101012001004 gub-2.png
expect_fail 1 "halaman lain" -- "$REKAP" read --page 1 gub-2.png
printf 'not an image at all' >junk.jpg
expect_fail 1 "JPEG/PNG" -- "$REKAP" read junk.jpg
"$REKAP" read --json junk.jpg >err.json 2>/dev/null && fail "junk accepted"
jq -e '.error.reason == "bad_image" and .error.code == "unreadable"' err.json >/dev/null \
    || fail "error JSON: $(cat err.json)"
expect_fail 2 "usage" -- "$REKAP" read
echo OK
