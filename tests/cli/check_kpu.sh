#!/usr/bin/env bash
# rekap check-kpu on the real KPU sample (1,000 per-TPS documents of the 2024 presidential race).
# The expected counts are computed here a second way, with jq, straight from the portal JSON —
# never copied from the program's output — and compared rule by rule and TPS by TPS.
set -euo pipefail

: "${REKAP:?REKAP must point to the rekap binary}"
DATA="${REKAP_SHARED_DATA:-${REKAP_SOURCE_DIR:-.}/../shared/data}"
ZIP="$DATA/kpu/pemilu2024_tps_sample_1000.zip"

for tool in unzip jq; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not installed (scripts/deps.sh installs it)"
    exit 77
  fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rekap-check-kpu-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- small synthetic cases (no shared data needed) -------------------------------------------
set +e
"$REKAP" check-kpu >/dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "no paths: exit $rc, want 2"
set +e
"$REKAP" check-kpu "$TMP/does-not-exist" >/dev/null 2>"$TMP/err"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "missing path: exit $rc, want 1"
grep -q "does-not-exist" "$TMP/err" || fail "missing path not named on stderr"

mkdir -p "$TMP/small/sub"
# DOMAIN.md 4.1 example: consistent.
cat >"$TMP/small/1101012001003.json" <<'EOF'
{"mode":"hhcw","chart":{"null":null,"100025":202,"100026":38,"100027":7},"images":[null,null,null],
 "administrasi":{"suara_sah":247,"suara_total":253,"pemilih_dpt_j":293,"pemilih_dpt_l":138,
 "pemilih_dpt_p":155,"pengguna_dpt_j":248,"pengguna_dpt_l":118,"pengguna_dpt_p":130,
 "pengguna_dptb_j":1,"pengguna_dptb_l":0,"pengguna_dptb_p":1,"pengguna_non_dpt_j":4,
 "pengguna_non_dpt_l":2,"pengguna_non_dpt_p":2,"pengguna_total_j":253,"pengguna_total_l":120,
 "pengguna_total_p":133,"suara_tidak_sah":6},"psu":null,"status_suara":true,"status_adm":true}
EOF
"$REKAP" check-kpu "$TMP/small" >"$TMP/out" || fail "consistent document: non-zero exit"
grep -q "diperiksa / checked: *1 " "$TMP/out" || fail "consistent document not counted"
! grep -q "GAGAL/FAIL" "$TMP/out" || fail "consistent document reported as failing"
# Options: an explicit candidate list must cover the chart; the election picks the voter cap.
set +e
"$REKAP" check-kpu --candidates 5 "$TMP/small" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--candidates 5: exit $rc, want 2"
set +e
"$REKAP" check-kpu --json --candidates 100025,100026 "$TMP/small" >"$TMP/c.json" 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 1 ] && [ "$(jq '.unreadable' "$TMP/c.json")" -eq 1 ] \
  || fail "chart candidate outside --candidates must make the file unreadable"
"$REKAP" check-kpu --candidates 100027,100026,100025 "$TMP/small" >/dev/null \
  || fail "reordered candidate list: the sums do not change"
mkdir "$TMP/big"
sed -e 's/"pemilih_dpt_j":293/"pemilih_dpt_j":393/' -e 's/"pemilih_dpt_p":155/"pemilih_dpt_p":255/' \
  "$TMP/small/1101012001003.json" >"$TMP/big/1101012001003.json"
set +e
"$REKAP" check-kpu "$TMP/big" >"$TMP/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "R10_DPT_CAP" "$TMP/out" || fail "DPT 393 breaks the Pemilu cap of 300"
"$REKAP" check-kpu --election pilkada2024 "$TMP/big" >"$TMP/out" \
  || fail "DPT 393 is within the Pilkada cap of 600"

# Same with a broken sum (valid 245 != 247), in a subdirectory, plus an unreadable file.
sed 's/"suara_sah":247/"suara_sah":245/' "$TMP/small/1101012001003.json" \
  >"$TMP/small/sub/1101012001004.json"
echo '{"chart": {' >"$TMP/small/sub/1101012001005.json"
echo 'not json, not .json' >"$TMP/small/sub/notes.txt"
set +e
"$REKAP" check-kpu --json "$TMP/small" >"$TMP/small.json" 2>"$TMP/err"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "broken document: exit $rc, want 1"
[ "$(jq '.files' "$TMP/small.json")" -eq 3 ] || fail "walk should find 3 *.json files"
[ "$(jq '.unreadable' "$TMP/small.json")" -eq 1 ] || fail "unreadable file not counted"
[ "$(jq -r '.errors[0].status' "$TMP/small.json")" = parse_error ] || fail "error status"
grep -q "1101012001005.json" "$TMP/err" || fail "unreadable file not named on stderr"
[ "$(jq -r '[.documents[] | select(.tps == "1101012001004") | .violations[].code] | join(",")' \
    "$TMP/small.json")" = "R3_SAH_SUM,R4_TOTAL_SUM" ] || fail "broken sum: wrong rules"

# ---- the real sample --------------------------------------------------------------------------
if [ ! -f "$ZIP" ]; then
  echo "SKIP: $ZIP not found (the shared reference data is absent)"
  exit 77
fi
mkdir "$TMP/sample"
unzip -q "$ZIP" -d "$TMP/sample"

# Per document, with jq: upload state and every rule that applies to portal data.
find "$TMP/sample" -name '*.json' -print0 | xargs -0 jq -c '
  (input_filename | sub(".*/"; "") | sub("\\.json$"; "")) as $tps
  | .administrasi as $a
  | ([(.chart // {}) | to_entries[] | select(.key | test("^[1-9][0-9]*$"))]
     | sort_by(.key | tonumber) | map(.value)) as $col
  | ($col | map(select(. != null))) as $v
  | ($a != null) as $adm
  | {tps: $tps, uploaded: ($adm or ($v | length > 0)), complete: ($adm and ($v | length > 0)),
     rules: (
       (if $adm then [
          (if $a.pemilih_dpt_l + $a.pemilih_dpt_p != $a.pemilih_dpt_j then "R1_DPT_LP" else empty end),
          (if $a.pengguna_dpt_l + $a.pengguna_dpt_p != $a.pengguna_dpt_j then "R1_B1_LP" else empty end),
          (if $a.pengguna_dptb_l + $a.pengguna_dptb_p != $a.pengguna_dptb_j then "R1_B2_LP" else empty end),
          (if $a.pengguna_non_dpt_l + $a.pengguna_non_dpt_p != $a.pengguna_non_dpt_j then "R1_B3_LP" else empty end),
          (if $a.pengguna_total_l + $a.pengguna_total_p != $a.pengguna_total_j then "R1_B4_LP" else empty end),
          (["l", "p", "j"][] as $c
             | if $a["pengguna_dpt_" + $c] + $a["pengguna_dptb_" + $c] + $a["pengguna_non_dpt_" + $c]
                  != $a["pengguna_total_" + $c] then "R2_B4_" + ($c | ascii_upcase) else empty end),
          (if ($col | length) > 0 and ($v | length) == ($col | length) and ($v | add) != $a.suara_sah
           then "R3_SAH_SUM" else empty end),
          (if $a.suara_sah + $a.suara_tidak_sah != $a.suara_total then "R4_TOTAL_SUM" else empty end),
          (if $a.suara_total != $a.pengguna_total_j then "R5_TOTAL_B4" else empty end),
          (if ([["l", "p", "j"][] as $c | $a["pengguna_dpt_" + $c] > $a["pemilih_dpt_" + $c]] | any)
           then "R9_B1_DPT" else empty end),
          (if $a.pemilih_dpt_j > 300 then "R10_DPT_CAP" else empty end),
          (if ($v | map(select(. > $a.pengguna_total_j)) | length) > 0 then "R11_VOTE_B4" else empty end),
          (if $a.pengguna_total_j > $a.pemilih_dpt_j + $a.pengguna_dptb_j + $a.pengguna_non_dpt_j
           then "R11_B4_MAX" else empty end),
          (if $a.pemilih_dpt_j > 0 and $a.pengguna_dpt_j >= $a.pemilih_dpt_j then "A1_TURNOUT_FULL"
           elif $a.pemilih_dpt_j > 0 and $a.pengguna_dpt_j * 100 > $a.pemilih_dpt_j * 95
           then "A2_TURNOUT_HIGH" else empty end),
          (if $a.suara_sah > 0 and ($v | length) == ($col | length)
              and ($v | map(select(. == $a.suara_sah)) | length) == 1
              and ($v | map(select(. == 0)) | length) == ($v | length) - 1
           then "A3_ONE_COLUMN_ALL" else empty end),
          (if $a.suara_total > 0 and $a.suara_tidak_sah * 10 > $a.suara_total
           then "A4_INVALID_HIGH" else empty end),
          (if $a.pemilih_dpt_j > 0 and $a.suara_total == 0 then "A5_NO_VOTES" else empty end)
        ] else [] end)
       + (if ((($a // {}) | to_entries | map(.value | select(. != null and . > 999))) + ($v | map(select(. > 999))))
             | length > 0 then ["R10_RANGE"] else [] end)
       | unique)}' >"$TMP/expected.jsonl"

jq -s '{files: length,
        not_uploaded: map(select(.uploaded | not)) | length,
        checked: map(select(.uploaded)) | length,
        complete: map(select(.complete)) | length,
        rules: ([.[].rules[]] | group_by(.) | map({key: .[0], value: length}) | from_entries)}' \
  "$TMP/expected.jsonl" >"$TMP/expected.json"

set +e
"$REKAP" check-kpu --json "$TMP/sample" >"$TMP/got.json" 2>"$TMP/err"; rc=$?
set -e
[ -s "$TMP/got.json" ] || fail "no JSON output; stderr: $(head -5 "$TMP/err")"

want_files=$(find "$TMP/sample" -name '*.json' | wc -l)
[ "$want_files" -eq 1000 ] || fail "the sample should hold 1000 documents, found $want_files"
for k in files not_uploaded checked complete; do
  want=$(jq ".$k" "$TMP/expected.json")
  got=$(jq ".$k" "$TMP/got.json")
  [ "$want" = "$got" ] || fail "$k: rekap says $got, jq says $want"
done
[ "$(jq '.unreadable' "$TMP/got.json")" -eq 0 ] || fail "sample documents reported unreadable"
[ "$(jq '.partial' "$TMP/got.json")" -eq "$(jq '.checked - .complete' "$TMP/expected.json")" ] \
  || fail "partial count"

# Every rule: documents breaking it, by both paths (rules jq does not model must be zero: the
# portal has no ballot, disability or registry numbers).
for code in $(jq -r '.rules[].code' "$TMP/got.json"); do
  got=$(jq --arg c "$code" '.rules[] | select(.code == $c) | .documents' "$TMP/got.json")
  want=$(jq --arg c "$code" '.rules[$c] // 0' "$TMP/expected.json")
  [ "$got" = "$want" ] || fail "$code: rekap counts $got documents, jq counts $want"
done
# The rule counts must add up to something: the sample is known to be inconsistent.
[ "$(jq '[.rules[]] | add' "$TMP/expected.json")" -gt 0 ] || fail "jq found no violations at all"

# Per TPS: the same set of codes for every document.
jq -r '.documents[] | "\(.tps) \([.violations[].code] | unique | join(","))"' "$TMP/got.json" \
  | sort >"$TMP/got.txt"
jq -r 'select(.rules | length > 0) | "\(.tps) \(.rules | join(","))"' "$TMP/expected.jsonl" \
  | sort >"$TMP/want.txt"
diff "$TMP/want.txt" "$TMP/got.txt" >"$TMP/diff" || fail "per-TPS rules differ: $(head -10 "$TMP/diff")"

# Exit status: 1 because some documents break hard rules.
hard=$(jq -s '[.[] | select(.rules | map(select(startswith("R"))) | length > 0)] | length' \
  "$TMP/expected.jsonl")
[ "$(jq '.failing' "$TMP/got.json")" -eq "$hard" ] || fail "failing count"
[ "$hard" -gt 0 ] && [ "$rc" -eq 1 ] || fail "exit status $rc with $hard failing documents"

# Text mode: one line per document with a violation, and the summary.
set +e
"$REKAP" check-kpu "$TMP/sample" >"$TMP/got.txt" 2>/dev/null
set -e
[ "$(grep -c '^GAGAL/FAIL ' "$TMP/got.txt")" -eq "$hard" ] || fail "text: FAIL lines"
[ "$(grep -c -E '^(GAGAL/FAIL|TANDA/FLAG) ' "$TMP/got.txt")" -eq "$(wc -l <"$TMP/want.txt")" ] \
  || fail "text: one line per document with a violation"
grep -q "belum diunggah / not uploaded: *$(jq .not_uploaded "$TMP/expected.json")\$" "$TMP/got.txt" \
  || fail "text: not-uploaded count"
echo "ok: $(jq -c '{files, checked, not_uploaded, failing, flagged}' "$TMP/got.json")"
