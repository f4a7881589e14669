#!/usr/bin/env bash
# Benchmark: importing all 822,116 real TPS codes of Pemilu 2024 into the SQLite store, against
# a reference measured in the same run: the sqlite3 shell bulk-loading the same codes into a
# bare table with a primary key (no validation, no foreign keys) — the floor for this engine.
#   bash bench/import.sh [path/to/rekap]
set -euo pipefail
cd "$(dirname "$0")/.."
REKAP=${1:-build/rekap}
D=${REKAP_SHARED_DATA:-../shared/data}
W=$D/wilayah/wilayah_2025.csv.gz
T=$D/kpu/pemilu2024_tps_codes.txt.gz
[ -r "$W" ] && [ -r "$T" ] || { echo "needs $W and $T"; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
n=$(zcat "$T" | wc -l)

"$REKAP" import-regions --db "$tmp/r.db" "$W" >/dev/null
runs=3; best=999
for i in $(seq $runs); do
  cp "$tmp/r.db" "$tmp/b.db"
  t0=$(now); "$REKAP" import-tps --db "$tmp/b.db" --missing create "$T" >/dev/null; t1=$(now)
  s=$(awk "BEGIN{print $t1 - $t0}"); best=$(awk "BEGIN{print ($s < $best) ? $s : $best}")
done

zcat "$T" >"$tmp/codes.txt"
rbest=999
for i in $(seq $runs); do
  rm -f "$tmp/ref.db"
  t0=$(now)
  sqlite3 "$tmp/ref.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" \
    "CREATE TABLE tps(code TEXT PRIMARY KEY) WITHOUT ROWID;" ".import $tmp/codes.txt tps" >/dev/null
  t1=$(now)
  s=$(awk "BEGIN{print $t1 - $t0}"); rbest=$(awk "BEGIN{print ($s < $rbest) ? $s : $rbest}")
done
awk -v n="$n" -v a="$best" -v b="$rbest" 'BEGIN{
  printf "tps_codes=%d\nrekap_import_s=%.2f rekap_rows_per_s=%.0f\n", n, a, n/a;
  printf "sqlite3_shell_import_s=%.2f sqlite3_rows_per_s=%.0f\nratio_rekap_vs_sqlite3=%.2f\n", b, n/b, (n/a)/(n/b)}'
