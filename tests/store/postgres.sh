#!/usr/bin/env bash
# Runs the store and importer test suites again against a throwaway PostgreSQL server started
# here on loopback (and stopped on exit): both engines must behave the same.
set -euo pipefail
B=${REKAP_BUILD_DIR:?}
S=${REKAP_SOURCE_DIR:?}
tmp=$(mktemp -d); trap '"$S/scripts/pg-throwaway.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
out=$("$S/scripts/pg-throwaway.sh" start "$tmp/pg") || { rc=$?; [ $rc = 77 ] && echo "skipped: no PostgreSQL server"; exit $rc; }
eval "$out"
export REKAP_TEST_PG=$REKAP_PG_CONNINFO
for t in store_test_store store_test_users store_test_results cli_test_import store_test_batch store_test_pipeline store_test_regcache; do
  echo "== $t on PostgreSQL =="
  "$B/$t"
done
