#!/usr/bin/env bash
# `rekap demo --results F`: the demo's results go through the signed pipeline; the totals and
# progress seen by the D.Hasil recap match the requested fraction, and the demo logins work.
set -euo pipefail
command -v jq >/dev/null || { echo "skipped: jq missing"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
db=$tmp/demo.db
out=$("$REKAP" demo --db "$db" --scale 0.05 --results 0.5)
echo "$out"
echo "$out" | grep -q "(0 refused)"
echo "$out" | grep -q "kpps-demo (TPS "
# about half the TPS reported, for the governor race (race 1 covers the whole province)
json=$("$REKAP" dhasil --db "$db" --race 1 --region 61 --format json --out -)
expected=$(echo "$json" | jq '.progress.expected')
received=$(echo "$json" | jq '.progress.received')
echo "governor race: $received of $expected TPS"
[ "$received" -gt 0 ]
awk -v r="$received" -v e="$expected" 'BEGIN{f=r/e; exit !(f > 0.45 && f < 0.55)}'
# valid votes add up in the recap (the recap refuses corrupt totals itself)
[ "$(echo "$json" | jq '.total.suara_sah')" -gt 0 ]
# the demo password works
printf '%s' "rekap-demo-2024" | "$REKAP" user verify --db "$db" ppk-demo >/dev/null 2>&1 || {
  echo "ppk-demo password does not verify"; exit 1; }
# a second run refuses to overwrite
if "$REKAP" demo --db "$db" --results 0.5 2>/dev/null; then echo "second demo accepted"; exit 1; fi
echo ok
