#!/usr/bin/env bash
# A witness and an auditor facing a lying server. A real `rekap serve` holds a demo election
# with signed results; tests/cli/hostile_proxy.py stands in front of it and changes one kind of
# answer per run (a device key's published registration index, key, owner or revocation; the
# signed tree head; a log entry; an inclusion proof; a published version; or the bytes on the
# wire: truncated, HTML, 400,000-deep JSON, 80 MiB, a byte a second, "busy" forever, no HTTP).
# Through the untouched proxy `rekap verify` says VALID (so each failure is the lie's doing);
# through every lying one it says INVALID (exit 1) with the reason, within its --timeout, never
# crashing; the lies about a device key's registration are named by `rekap audit` too.
set -euo pipefail
: "${REKAP:?REKAP must point to the rekap binary}"
SRC=${REKAP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-hostile-XXXXXX")
SRV= PROXY=
cleanup() {
    if [ -n "$PROXY" ]; then kill "$PROXY" 2>/dev/null; wait "$PROXY" 2>/dev/null || true; fi
    [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in out err; do [ -f "$T/$f" ] && sed 's/^/  /' "$T/$f" >&2; done
    exit 1
}

"$REKAP" demo --db "$T/d.db" --scale 0.02 --results 0.2 >/dev/null || fail "demo"
"$REKAP" serve --db "$T/d.db" --listen 127.0.0.1:0 --port-file "$T/port" --key "$T/log.key" \
    >"$T/srv.out" 2>"$T/srv.err" &
SRV=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || fail "server did not start"
UP=http://127.0.0.1:$(cat "$T/port")
# the server signs its first tree head shortly after it starts
for _ in $(seq 100); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1])' "$UP/api/log/sth" \
        2>/dev/null && break
    sleep 0.1
done

# The pinned log key, and a receipt of a real upload, built as the KPPS app builds it.
read -r KEY RECEIPT < <(python3 - "$UP" <<'PY'
import base64, json, sys, urllib.request
up = sys.argv[1]
get = lambda p: json.load(urllib.request.urlopen(up + p))
key = get('/api/log/sth')['key']['public_key']
race = get('/api/races')['races'][0]
slug = {e['id']: e['slug'] for e in get('/api/elections')['elections']}[race['election_id']]
tps = next(t for t in get('/api/races/%d/tps?region=%s' % (race['id'], race['region_code']))['tps']
           if t['version'] == 1)['tps']
v = get('/api/tps/%s/races/%d/versions/1' % (tps, race['id']))
sig = base64.urlsafe_b64encode(bytes.fromhex(v['signature'])).decode().rstrip('=')
ref = '%s.%s.%s' % (slug, race['kind'], race['region_code'])
print(key, '|'.join(['RKW1', tps, ref, '1', v['doc_sha256'], v['device'], sig, str(v['log_index'])]))
PY
)
[ -n "$RECEIPT" ] || fail "no receipt"

proxy() { # proxy MODE: (re)starts the lying proxy; its URL in $PURL
    if [ -n "$PROXY" ]; then kill "$PROXY" 2>/dev/null; wait "$PROXY" 2>/dev/null || true; fi
    rm -f "$T/pport"
    python3 "$SRC/tests/cli/hostile_proxy.py" "$UP" "$T/pport" "$1" 2>"$T/proxy.err" &
    PROXY=$!
    for _ in $(seq 100); do [ -s "$T/pport" ] && break; sleep 0.05; done
    [ -s "$T/pport" ] || fail "proxy $1 did not start"
    PURL=http://127.0.0.1:$(cat "$T/pport")
}

verify() { # verify MODE WANT_EXIT PATTERN: rekap verify through the proxy in MODE
    proxy "$1"
    local t0=$SECONDS rc=0
    timeout 60 "$REKAP" verify "$RECEIPT" --url "$PURL" --log-key "$KEY" --timeout 5 \
        >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = "$2" ] || fail "verify through '$1' exited $rc, want $2"
    grep -q -- "$3" "$T/out" || fail "verify through '$1' does not say '$3'"
    [ $((SECONDS - t0)) -le 15 ] || fail "verify through '$1' took $((SECONDS - t0)) s"
    echo "ok: $1: $(head -1 "$T/out" | cut -c1-150)"
}

verify pass 0 "SAH / VALID"
verify device_index_string 1 "device key is not published (the answer is malformed)"
verify device_index_negative 1 "the answer is malformed"
verify device_index_huge 1 "the answer is malformed"
verify device_index_fraction 1 "the answer is malformed"
verify device_index_next 1 "registration is not in the log where published"
verify device_index_past_head 1 "registration is not in the log where published"
verify device_key_swapped 1 "device signature does not verify"
verify device_key_short 1 "the answer is malformed"
verify device_owner_other 1 "registration is not in the log where published"
verify device_revoked 1 "revoked before this upload"
verify device_revoked_flag 1 "the answer is malformed"
verify device_not_object 1 "the answer is malformed"
verify sth_signature 1 "does not verify with the log key"
verify sth_root 1 "does not verify with the log key"
verify sth_small 1 "does not verify with the log key"
verify sth_size_string 1 "no signed tree head is available (the answer is malformed)"
verify entry_bytes 1 "the log entry does not record this upload"
verify entry_odd_hex 1 "the log entry is missing or malformed"
verify proof_hash 1 "not included under the signed tree head"
verify proof_short 1 "not included under the signed tree head"
verify version_document 1 "the published version differs from the receipt"
verify version_signature 1 "the published version differs from the receipt"
verify truncated_json 1 "the answer is malformed"
verify html_page 1 "the answer is malformed"
verify deep_nesting 1 "the answer is malformed"
verify huge_body 1 "the answer is too large"
verify no_length_close 1 "the answer is malformed"
verify bad_status_line 1 "the answer is malformed"
verify drip 1 "timed out"
verify busy 1 "timed out"

# The auditor replays the whole log: it must name a lie about where a key was registered.
audit() { # audit MODE WANT_EXIT [PATTERN]
    proxy "$1"
    local rc=0
    timeout 120 "$REKAP" audit "$PURL" --log-key "$KEY" --timeout 10 >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = "$2" ] || fail "audit through '$1' exited $rc, want $2"
    [ -z "${3:-}" ] || grep -q -- "$3" "$T/out" || fail "audit through '$1' does not say '$3'"
    echo "ok: audit through $1 exits $rc"
}
audit pass 0
audit device_index_next 1 "the published registration index ([0-9]*) is not log entry"
audit device_revoked_flag 1 "is not properly published"
echo "ok: hostile server"
