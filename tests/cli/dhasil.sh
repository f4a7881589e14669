#!/usr/bin/env bash
# rekap dhasil end to end: a store built with the importers, results filled through the store API
# (cli_test_dhasil fill: uploads, corrections, approvals; it prints independently computed sums),
# then every recap level of every race rendered as JSON and compared number by number, PDFs
# rendered, bad requests refused with a clear message and no file, and a corrupted tally refused.
set -euo pipefail
: "${REKAP:?REKAP must point at the rekap binary}"
: "${REKAP_BUILD_DIR:?REKAP_BUILD_DIR must point at the build directory}"
fill="$REKAP_BUILD_DIR/cli_test_dhasil"
[ -x "$fill" ] || { echo "SKIP: $fill not built"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/deps.sh)"; exit 77; }
dir=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
cd "$dir"
db="$dir/t.db"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_fail CODE NEEDLE -- command...: exit status CODE and NEEDLE on stderr, no output file.
expect_fail() {
    local code=$1 needle=$2
    shift 3
    set +e
    "$@" >out.txt 2>err.txt
    local rc=$?
    set -e
    [ "$rc" = "$code" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $code"; }
    grep -q -- "$needle" err.txt || { cat err.txt >&2; fail "'$*': no '$needle' in stderr"; }
    [ ! -e bad.out ] || fail "'$*' left bad.out behind"
}

cat >wilayah.csv <<'EOF'
kode,nama
11,ACEH
11.01,KAB. ACEH SELATAN
11.01.01,Bakongan
11.01.01.2001,Keude Bakongan
11.01.01.2002,Ujong Mangki
11.01.02,Kluet Utara
11.01.02.2001,Fajar Harapan
11.71,KOTA BANDA ACEH
11.71.01,Meuraxa
11.71.01.1001,Deah Glumpang
21,KEPULAUAN RIAU
21.01,KAB. BINTAN
21.01.01,Teluk Bintan
21.01.01.2001,Pengujan
EOF
# A kecamatan with 120 TPS so its D.Hasil needs several pages.
{
    for i in $(seq 1 60); do printf '1101012001%03d,%d,%d\n' "$i" $((150 + i)) $((160 + i)); done
    for i in $(seq 1 60); do printf '1101012002%03d\n' "$i"; done
    printf '1101022001001\n1101022001002\n1101022001003\n'
    printf '1171011001001\n1171011001002\n'
    printf '2101012001001,100,101\n2101012001002\n'
} >tps.txt
cat >gub.json <<'EOF'
{"11": {"1": {"nama": "CALON SATU - WAKIL SATU", "warna": "#B67352", "nomor_urut": 1},
        "2": {"nama": "CALON DUA - WAKIL DUA", "warna": "#8CB9BD", "nomor_urut": 2},
        "3": {"nama": "CALON TIGA - WAKIL TIGA", "warna": "#C7B7A3", "nomor_urut": 3},
        "4": {"nama": "CALON EMPAT - WAKIL EMPAT", "warna": "#C7B7A3", "nomor_urut": 4}}}
EOF
cat >kab.json <<'EOF'
{"1101": {"11": {"nama": "DARMANSAH, S.Pd., M.M. - SUDIRMAN", "warna": "#B67352", "nomor_urut": 1},
          "12": {"nama": "AMRAN, S.H. - AKMAL AH, S.Pd.", "warna": "#C7B7A3", "nomor_urut": 2}},
 "1171": {"21": {"nama": "WALI A - WAKIL A", "warna": "#B67352", "nomor_urut": 1},
          "22": {"nama": "WALI B - WAKIL B", "warna": "#8CB9BD", "nomor_urut": 2}},
 "2101": {"31": {"nama": "ROBY KURNIAWAN - DEBY MARYANTI", "warna": "#B67352", "nomor_urut": 1},
          "32": {"nama": "KOLOM KOSONG - ", "warna": "#8CB9BD", "nomor_urut": 2}}}
EOF
"$REKAP" import-regions --db "$db" wilayah.csv >/dev/null
"$REKAP" import-tps --db "$db" tps.txt >/dev/null
"$REKAP" import-candidates --db "$db" gub.json kab.json >/dev/null

# Nothing received yet: a valid, all-zero, provisional document.
"$REKAP" dhasil --db "$db" --race 1 --region 11 --out empty.json >/dev/null
[ "$(jq -r '.status' empty.json)" = sementara ] || fail "empty recap should be sementara"
[ "$(jq '.total.suara_sah' empty.json)" = 0 ] || fail "empty recap has votes"
[ "$(jq '.progress.missing' empty.json)" = 125 ] || fail "empty recap: missing should be 125"

"$fill" fill "$db" 777 >expected.json
[ "$(jq 'keys | length' expected.json)" = 4 ] || fail "expected sums for 4 races"

# The numbers of a D.Hasil line, in the generator's shape.
norm='{votes, suara_sah, suara_tidak_sah, suara_total, pengguna, dpt, expected: .tps.expected,
       received: .tps.received, approved: .tps.approved, flagged: .tps.flagged}'
checked=0
for race in $(jq -r 'keys[]' expected.json); do
    for code in $(jq -r --arg r "$race" '.[$r] | keys[] | select(length <= 6)' expected.json); do
        "$REKAP" dhasil --db "$db" --race "$race" --region "$code" --out "d-$race-$code.json" \
            >/dev/null
        got=$(jq -S "[.total | $norm]" "d-$race-$code.json")
        want=$(jq -S --arg r "$race" --arg c "$code" '[.[$r][$c]]' expected.json)
        [ "$got" = "$want" ] || fail "race $race region $code total: got $got, want $want"
        # Every row equals the independent sum for its code, and every child is there.
        got=$(jq -S "[.rows[] | {(.code): $norm}] | add // {}" "d-$race-$code.json")
        want=$(jq -S --arg r "$race" --arg c "$code" \
            '.[$r] | with_entries(select((.key | startswith($c)) and
               (.key | length) == (if ($c | length) == 6 then 13 else ($c | length) + 2 end)))' \
            expected.json)
        [ "$got" = "$want" ] || fail "race $race region $code rows differ"
        checked=$((checked + 1))
    done
done
[ "$checked" -ge 10 ] || fail "only $checked documents checked"

# Shares are the integer basis points of the totals.
jq -e '.shares | all(.bp == (if $t.suara_sah == 0 then 0 else
         ((.votes * 20000 + $t.suara_sah) / (2 * $t.suara_sah) | floor) end))' \
    --argjson t "$(jq .total d-1-11.json)" d-1-11.json >/dev/null || fail "shares are wrong"
[ "$(jq -r '.candidates[1].kolom_kosong' d-4-2101.json)" = true ] || fail "kolom kosong lost"

# PDFs: the 120-TPS kecamatan spans pages with repeated headers; a kab/kota fits one.
pdf_pages() { grep -a -c -E '/Type /Page([^s]|$)' "$1"; }
"$REKAP" dhasil --db "$db" --race 2 --region 110101 --format pdf --out kec.pdf >/dev/null
[ "$(head -c 4 kec.pdf)" = "%PDF" ] || fail "kec.pdf is not a PDF"
[ "$(pdf_pages kec.pdf)" -ge 3 ] || fail "120 TPS rows should span 3+ pages, got $(pdf_pages kec.pdf)"
grep -a -q 'MediaBox \[ *0 0 595' kec.pdf || fail "two pairs should print A4 portrait"
"$REKAP" dhasil --db "$db" --race 1 --region 1101 --out kab.pdf >/dev/null
[ "$(pdf_pages kab.pdf)" = 1 ] || fail "kab.pdf should have 1 page"
grep -a -q 'MediaBox \[ *0 0 841' kab.pdf || fail "four pairs should print A4 landscape"
if command -v pdftotext >/dev/null; then
    pdftotext -layout kec.pdf kec.txt
    grep -q 'MODEL D.HASIL KECAMATAN-KWK' kec.txt || fail "kec.pdf lacks its title"
    grep -q 'SEMENTARA' kec.txt || fail "kec.pdf lacks the SEMENTARA status"
    sah=$(jq '.total.suara_sah' d-2-110101.json)
    grouped=$(printf '%d' "$sah" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|\.\)/\1.\2\3/; ta')
    grep -q "JUMLAH / TOTAL.* $grouped " kec.txt || fail "kec.pdf total row lacks suara sah $grouped"
fi

# Bad requests: clear messages, exit codes, no file.
expect_fail 1 "race 99 not found" -- "$REKAP" dhasil --db "$db" --race 99 --region 11 --out bad.out
expect_fail 1 "region 1102 not found" -- "$REKAP" dhasil --db "$db" --race 1 --region 1102 --out bad.out
expect_fail 1 "outside race 2" -- "$REKAP" dhasil --db "$db" --race 2 --region 21 --out bad.out
expect_fail 1 "outside race 2" -- "$REKAP" dhasil --db "$db" --race 2 --region 11 --out bad.out
expect_fail 1 "no D.Hasil at" -- "$REKAP" dhasil --db "$db" --race 2 --region 1101012001 --out bad.out
expect_fail 2 "not a region code" -- "$REKAP" dhasil --db "$db" --race 2 --region 11x --out bad.out
expect_fail 2 "usage" -- "$REKAP" dhasil --db "$db" --race 2 --out bad.out
expect_fail 2 "json or pdf" -- "$REKAP" dhasil --db "$db" --race 2 --region 1101 --format xml --out bad.out

# A corrupted count is reported, not printed: one TPS's current row edited in place no longer
# adds up to the kab/kota's stored total (kecamatan totals are sums of the same rows).
sqlite3 "$db" "UPDATE tps_state SET tidak_sah = tidak_sah + 1, total = total + 1
               WHERE race_id = 2 AND tps_code = (SELECT min(tps_code) FROM tps_state
                                                 WHERE race_id = 2 AND tps_code LIKE '110102%')"
expect_fail 1 "inconsistent tally" -- "$REKAP" dhasil --db "$db" --race 2 --region 1101 --out bad.out
expect_fail 1 "inconsistent tally" -- "$REKAP" dhasil --db "$db" --race 2 --region 1101 --format pdf --out bad.out
echo "ok: $checked documents"
