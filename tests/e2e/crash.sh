#!/usr/bin/env bash
# Crash safety: `rekap serve` is killed with SIGKILL at random moments while bench_loadgen sends
# signed submissions, and restarted on the same store each time; the client resends whatever got
# no answer and records every submission acknowledged with a 2xx. At the end the store is
# audited (bench_loadgen --verify): every acknowledged submission is in its TPS's history exactly
# once, no document repeats in any history, the tallies of every level equal a recount of the
# stored documents, every log leaf recomputes, each version's statement and device signature
# match its log entry, and the signed tree head covers the whole log with valid inclusion proofs.
# A few acknowledged submissions are also checked through GET /api/tps/{tps}/races/{race}.
set -u
REKAP=${REKAP:?REKAP must point at the rekap binary}
LG=${REKAP_BUILD_DIR:?REKAP_BUILD_DIR must be set}/bench_loadgen
if [ ! -x "$LG" ]; then
    echo "skip: $LG not built / belum dibangun"
    exit 77
fi
for tool in curl jq; do
    command -v $tool >/dev/null || { echo "skip: $tool not installed / tidak terpasang"; exit 77; }
done
KILLS=${CRASH_KILLS:-5}

T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-crash-XXXXXX")
PID= CLIENT=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
    [ -n "$CLIENT" ] && kill "$CLIENT" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/serve.log" ] && tail -20 "$T/serve.log" | sed 's/^/  server: /' >&2
    [ -f "$T/client.err" ] && tail -20 "$T/client.err" | sed 's/^/  client: /' >&2
    exit 1
}
DB="$T/crash.db"

# A small province: ~900 TPS, two races each -> ~1,800 signed submissions.
"$LG" --db "$DB" --demo 61 --scale 0.05 --seed 7 --prepare-only >"$T/prep.out" 2>&1 ||
    fail "prepare: $(cat "$T/prep.out")"

# start_server LISTEN: starts rekap serve, waits for its port file; retries while the port is
# still held by the previous process's sockets.
start_server() {
    for _ in $(seq 50); do
        rm -f "$T/port"
        "$REKAP" serve --db "$DB" --listen "$1" --port-file "$T/port" --threads 2 \
            --key "$T/log.key" --max-conn 256 --no-rate-limit >>"$T/serve.log" 2>&1 &
        PID=$!
        for _ in $(seq 200); do
            [ -s "$T/port" ] && return 0
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.025
        done
        wait "$PID" 2>/dev/null
        PID=
        sleep 0.1
    done
    fail "server does not start"
}

start_server 127.0.0.1:0
PORT=$(cat "$T/port")

"$LG" --db "$DB" --seed 7 --target "127.0.0.1:$PORT" --rate 150 --conns 32 --readers 2 \
    --read-secs 0 --retry --ack-log "$T/acks" --max-time 100 >"$T/client.out" 2>"$T/client.err" &
CLIENT=$!

for i in $(seq "$KILLS"); do
    sleep "$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.4 + (r % 1200) / 1000}')"
    kill -0 "$CLIENT" 2>/dev/null || break # everything already acknowledged
    kill -9 "$PID" || fail "kill -9"
    wait "$PID" 2>/dev/null
    st=$?
    [ "$st" -eq 137 ] || fail "server exit status $st after SIGKILL, want 137"
    PID=
    echo "kill $i: $(cat "$T/acks" 2>/dev/null | wc -l) acknowledged so far"
    sleep 0.$((RANDOM % 4 + 1))
    start_server "127.0.0.1:$PORT"
done

wait "$CLIENT"
rc=$?
CLIENT=
[ $rc -eq 0 ] || fail "client exit status $rc: $(grep -E 'sub_(errors|status)' "$T/client.out")"
want=$(awk '$1=="submissions"{print $2}' "$T/client.out")
[ -n "$want" ] && [ "$want" -gt 1000 ] || fail "client sent '$want' submissions"
sed -n 's/^\(sub_requests\|sub_retries\|sub_errors\) */  \1 /p' "$T/client.out"
echo "  acknowledged: $(wc -l <"$T/acks") lines, $(awk '$4==200' "$T/acks" | wc -l) as duplicates"

# A sample of acknowledgements through the API: the document is the current one.
B="http://127.0.0.1:$PORT"
shuf -n 8 --random-source=<(yes) "$T/acks" | while read -r tps race hash status; do
    cur=$(curl -sf "$B/api/tps/$tps/races/$race" | jq -r '.history | map(.doc_sha256) | join(" ")') ||
        fail "GET /api/tps/$tps/races/$race"
    n=$(printf '%s\n' $cur | grep -c "^$hash\$")
    [ "$n" -eq 1 ] || fail "tps $tps race $race: acknowledged $hash appears $n times in [$cur]"
done || exit 1

# A graceful stop signs a last tree head covering the whole log.
kill -TERM "$PID"
wait "$PID" || fail "server exit status $? after SIGTERM"
PID=

"$LG" --verify "$DB" --ack-log "$T/acks" --key "$T/log.key" --exact >"$T/verify.out" 2>&1 ||
    fail "verify: $(cat "$T/verify.out")"
uploads=$(awk '$1=="verify_uploads"{print $2}' "$T/verify.out")
distinct=$(awk '$1=="verify_acked_distinct"{print $2}' "$T/verify.out")
[ "$uploads" = "$want" ] || fail "$uploads uploads stored, $want sent"
[ "$distinct" = "$want" ] || fail "$distinct distinct acknowledgements, $want sent"
sed 's/^/  /' "$T/verify.out"

# The auditor is not a rubber stamp: a tally moved behind the pipeline's back is caught.
if command -v sqlite3 >/dev/null; then
    sqlite3 "$DB" "UPDATE tally SET sah = sah + 1 WHERE region_code = '' AND
                   race_id = (SELECT min(race_id) FROM tally)" || fail "tamper"
    "$LG" --verify "$DB" --ack-log "$T/acks" --key "$T/log.key" --exact >"$T/verify2.out" 2>&1 &&
        fail "verify passed a tampered tally"
    grep -q "region '': stored sah=" "$T/verify2.out" || fail "tamper not named: $(cat "$T/verify2.out")"
fi
# ... and neither is an acknowledgement the store does not hold.
{ cat "$T/acks"; head -1 "$T/acks" | awk '{print $1, $2, "00" substr($3, 3), 201}'; } >"$T/acks2"
"$LG" --verify "$DB" --ack-log "$T/acks2" --key "$T/log.key" >"$T/verify3.out" 2>&1 &&
    fail "verify passed an acknowledgement that is not stored"
grep -q "found 0 times" "$T/verify3.out" || fail "missing ack not named: $(cat "$T/verify3.out")"
echo "ok: crash ($KILLS kills, $want submissions, every acknowledgement stored exactly once)"
