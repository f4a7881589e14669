#!/usr/bin/env bash
# rekap verify / audit / export / verify-snapshot refuse bad input with a usage or bilingual
# error, and never create or change anything: a missing database stays missing, a bad receipt
# is exit 2, an empty snapshot directory is exit 1. (The working flows are in test_audit.c.)
set -euo pipefail
: "${REKAP:?REKAP must point to the rekap binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
key=$(printf 'ab%.0s' $(seq 32))

expect() { # expect CODE CMD...: runs CMD, checks its exit status
  local want=$1; shift
  set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
  if [ "$got" != "$want" ]; then
    echo "FAIL: '$*' exited $got, want $want"; cat "$tmp/out" "$tmp/err"; exit 1
  fi
}

expect 2 "$REKAP" verify
expect 2 "$REKAP" verify 'RKW1|x' --db "$tmp/a.db"
expect 2 "$REKAP" verify 'RKW1|6101010001001|r|1|00|00|00|0' --url http://127.0.0.1:1
grep -q "bukan salinan digital yang sah" "$tmp/err"
expect 2 "$REKAP" audit
expect 2 "$REKAP" audit "$tmp/a.db"               # no log key known
grep -q "the log key is unknown" "$tmp/err"
expect 1 "$REKAP" audit "$tmp/a.db" --log-key "$key"
grep -q "database not found" "$tmp/err"
expect 2 "$REKAP" audit https://example.org
expect 2 "$REKAP" audit "$tmp/a.db" --log-key nothex
expect 2 "$REKAP" audit "$tmp/a.db" --sample 0
expect 2 "$REKAP" audit http://127.0.0.1:9 --timeout 0
grep -q "timeout" "$tmp/err"
expect 2 "$REKAP" verify 'RKW1|x' --url http://127.0.0.1:9 --timeout 5s
grep -q "timeout" "$tmp/err"
expect 2 "$REKAP" export --db "$tmp/a.db" --out "$tmp/o" --format xml
expect 1 "$REKAP" export --db "$tmp/a.db" --out "$tmp/o"
test ! -e "$tmp/a.db" || { echo "FAIL: a checking command created the database"; exit 1; }
test ! -e "$tmp/o" || { echo "FAIL: export created its output for a missing database"; exit 1; }
mkdir "$tmp/snap"
expect 1 "$REKAP" verify-snapshot "$tmp/snap"
expect 2 "$REKAP" verify-snapshot
# a well-formed receipt against a server that is not there: a verdict, not a crash
expect 1 "$REKAP" verify "$(cat "$REKAP_SOURCE_DIR/fuzz/corpus/receipt/ok-first")" --url http://127.0.0.1:9
grep -q "TIDAK SAH / INVALID" "$tmp/out"
echo ok
