#!/usr/bin/env bash
# scripts/snapshot: publishing open-data snapshots for a web server. A demo store with results
# is exported three times into one folder: each publication verifies, `latest` and index.json
# follow the newest, --keep prunes the oldest; a snapshot that does not verify against the
# pinned log key, or an export that fails, publishes nothing and leaves the folder as it was.
set -euo pipefail
: "${REKAP:?REKAP must point at the rekap binary}"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/deps.sh)"; exit 77; }
snap="$(cd "$(dirname "$0")/../.." && pwd)/scripts/snapshot"
dir=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$REKAP" demo --db t.db --scale 0.02 --results 1 >/dev/null
printf 'rekap-ed25519-seed-v1\n%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    >log.key
chmod 600 log.key
pub() { "$REKAP" export --db t.db --key log.key --out probe >/dev/null && jq -r .log_key probe/snapshot.json; }
LOGKEY=$(pub)
rm -rf probe

run() { "$snap" --rekap "$REKAP" --db t.db --key log.key --dir pub "$@"; }

run --log-key "$LOGKEY" --keep 2 >out1.txt
first=$(readlink pub/latest)
[[ $first =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || fail "latest points at '$first'"
[ "$(jq -r .latest pub/index.json)" = "$first" ] || fail "index.json does not name $first"
[ "$(jq '.snapshots | length' pub/index.json)" = 1 ] || fail "one snapshot expected"
"$REKAP" verify-snapshot pub/latest --log-key "$LOGKEY" | grep -q "SNAPSHOT VALID" \
    || fail "the published snapshot does not verify"
want=$(sha256sum pub/latest/manifest.json | cut -d' ' -f1)
[ "$(jq -r '.snapshots[0].manifest_sha256' pub/index.json)" = "$want" ] \
    || fail "index.json's manifest hash is not the manifest's"
rows=$(($(wc -l <pub/latest/results.csv) - 1))
[ "$(jq -r '.snapshots[0].files[] | select(.name == "results.csv") | .rows' pub/index.json)" \
    = "$rows" ] || fail "index.json's row count for results.csv is not $rows"
[ "$rows" = 1992 ] || fail "results.csv has $rows rows, the demo reported 1992"

run --keep 2 >/dev/null
second=$(readlink pub/latest)
[ "$second" != "$first" ] || fail "a second run did not publish a new snapshot"
[ "$(jq -r '[.snapshots[].name] | join(" ")' pub/index.json)" = "$second $first" ] \
    || fail "index.json is not newest first: $(jq -c . pub/index.json)"
# the second snapshot's data head covers the first snapshot's own log entry
t1=$(jq '.snapshots[1].tree_size' pub/index.json)
t2=$(jq '.snapshots[0].tree_size' pub/index.json)
[ "$t2" -gt "$t1" ] || fail "tree sizes $t1 then $t2"

run --keep 2 >/dev/null
third=$(readlink pub/latest)
[ ! -e "pub/$first" ] || fail "--keep 2 left the oldest snapshot"
[ -d "pub/$second" ] && [ -d "pub/$third" ] || fail "--keep 2 removed a kept snapshot"
[ "$(jq '.snapshots | length' pub/index.json)" = 2 ] || fail "index.json lists more than kept"

# Refusals change nothing: a key that is not the log's, a store that is not there.
cp pub/index.json index.before
set +e
run --log-key "$(printf '%064d' 0)" >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || fail "a snapshot under the wrong log key exited $rc"
grep -q "does not verify; not published" err.txt || { cat err.txt >&2; fail "no refusal message"; }
[ "$(readlink pub/latest)" = "$third" ] || fail "a refused snapshot moved latest"
cmp -s index.before pub/index.json || fail "a refused snapshot changed index.json"
[ -z "$(find pub -maxdepth 1 -name '.new-*')" ] || fail "a refused snapshot left its folder"
set +e
"$snap" --rekap "$REKAP" --db missing.db --key log.key --dir pub >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || fail "a missing store exited $rc"
grep -q "database not found" err.txt || { cat err.txt >&2; fail "no 'database not found'"; }
[ "$(readlink pub/latest)" = "$third" ] || fail "a failed export moved latest"
cmp -s index.before pub/index.json || fail "a failed export changed index.json"
[ ! -e missing.db ] || fail "the export created the missing store"
set +e
run --keep many >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 2 ] && grep -q -- "--keep takes a number" err.txt || fail "--keep many: exit $rc"
[ "$(readlink pub/latest)" = "$third" ] || fail "a refused --keep moved latest"
echo "snapshot: 3 published, pruned to 2, refusals left them as they were"
