#!/usr/bin/env bash
# Benchmark: `rekap export` (the open-data snapshot, docs/open-data.md) of a store holding
# results, against a reference measured in the same run: the sqlite3 shell writing the same
# version rows (documents included) as CSV to a file and sha256sum hashing that file — the
# floor for reading every version once and writing and hashing its bytes. rekap writes more
# (CSV and JSON Lines of the history and of the current results, the objections, a log replay
# for approvals, a signed manifest bound to the log), so the ratio says how close it is to
# that floor, not that the two do the same work.
#   bash bench/export.sh DB KEY [path/to/rekap] [runs]
# DB: an SQLite store with results, e.g. the one `bench_loadgen --workdir W --db W/run.db
# --rate max --per-request 2` leaves (a national night: ~870,000 versions, ~3.2 GB exported);
# KEY: its log key (W/server.key there). Each run exports a fresh copy of DB (an export appends
# its snapshot entry to the log), into a scratch folder next to it (needs ~2x its size free).
set -euo pipefail
DB=${1:?usage: bench/export.sh DB KEY [rekap] [runs]}
KEY=${2:?usage: bench/export.sh DB KEY [rekap] [runs]}
REKAP=${3:-$(dirname "$0")/../build/rekap}
runs=${4:-2}
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
tmp=$(mktemp -d "$(dirname "$DB")/bench-export.XXXX"); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
versions=$(sqlite3 "$DB" "SELECT count(*) FROM version")
best=999999; rbest=999999; bytes=0
for i in $(seq "$runs"); do
  cp "$DB" "$tmp/copy.db"; rm -rf "$tmp/out"; sync
  t0=$(now); "$REKAP" export --db "$tmp/copy.db" --key "$KEY" --out "$tmp/out" >/dev/null; t1=$(now)
  s=$(awk "BEGIN{print $t1 - $t0}"); best=$(awk "BEGIN{print ($s < $best) ? $s : $best}")
  bytes=$(cat "$tmp"/out/*.csv "$tmp"/out/*.jsonl | wc -c)
  rm -rf "$tmp/out" "$tmp/copy.db"; sync
  t0=$(now)
  sqlite3 -csv "$DB" "SELECT * FROM version ORDER BY id" >"$tmp/ref.csv"
  sha256sum "$tmp/ref.csv" >/dev/null
  t1=$(now)
  s=$(awk "BEGIN{print $t1 - $t0}"); rbest=$(awk "BEGIN{print ($s < $rbest) ? $s : $rbest}")
  rbytes=$(wc -c <"$tmp/ref.csv"); rm -f "$tmp/ref.csv"
done
awk -v n="$versions" -v a="$best" -v b="$rbest" -v x="$bytes" -v y="$rbytes" 'BEGIN{
  printf "versions=%d\nrekap_export_s=%.1f rekap_bytes=%.0f rekap_mb_per_s=%.0f\n", n, a, x, x/a/1e6;
  printf "sqlite3_csv_sha256_s=%.1f sqlite3_bytes=%.0f sqlite3_mb_per_s=%.0f\n", b, y, y/b/1e6;
  printf "ratio_rekap_vs_sqlite3_time=%.2f ratio_rekap_vs_sqlite3_mb_per_s=%.2f\n", a/b, (x/a)/(y/b)}'
