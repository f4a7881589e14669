#!/usr/bin/env bash
# Hostile clients against the real `rekap serve` process, loopback only, a few seconds each:
#  - slowloris: connections that stall mid-headers or mid-body, and one that trickles a header
#    byte at a time, are cut by --timeout while ordinary requests keep being answered promptly;
#  - a 100 MB upload to /api/submissions is refused with 413 before its body is read, and the
#    server's resident memory (VmRSS) does not grow by anything like the upload;
#  - with every connection slot (--max-conn) taken by idle sockets, a new request waits and is
#    served once the timeout frees the slots.
set -u
REKAP=${REKAP:?REKAP must point at the rekap binary}
command -v curl >/dev/null || { echo "skip: curl not installed / curl tidak terpasang"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-limits-XXXXXX")
PID=
BG=()
cleanup() {
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/err" ] && tail -5 "$T/err" | sed 's/^/  server: /' >&2
    exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a < b)}'; }

DB="$T/l.db"
"$REKAP" demo --db "$DB" --province 61 --scale 0.02 --seed 3 >/dev/null || fail "demo"
TIMEOUT=2
MAXCONN=12
"$REKAP" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" --threads 2 \
    --timeout $TIMEOUT --max-conn $MAXCONN --key "$T/key" >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 200); do
    [ -s "$T/port" ] && break
    kill -0 "$PID" 2>/dev/null || fail "server exited early"
    sleep 0.025
done
PORT=$(cat "$T/port") || fail "no port file"
B="http://127.0.0.1:$PORT"
rss() { awk '/^VmRSS:/{print $2}' "/proc/$PID/status"; }

# quick NAME: an ordinary request must answer 200 within a second.
quick() {
    local t0 code
    t0=$(now)
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$B/api/races/1/results") || code=000
    [ "$code" = 200 ] || fail "$1: ordinary request got $code"
    lt "$(elapsed "$t0")" 1.0 || fail "$1: ordinary request took $(elapsed "$t0") s"
}
quick warmup

# closed_within FD SECONDS: the server closes FD (EOF or reset) within SECONDS.
closed_within() {
    local t0
    t0=$(now)
    timeout "$2" cat <&"$1" >/dev/null 2>&1
    local rc=$?
    [ $rc -ne 124 ] || return 1
    echo "$(elapsed "$t0")"
}

# --- 1. slowloris: stalled headers, stalled body ----------------------------------------------
exec 5<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
exec 6<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
exec 7<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
printf 'GET /api/races/1/results HTTP/1.1\r\nHost: t\r\nX-Slow: ' >&5
printf 'POST /api/submissions HTTP/1.1\r\nHost: t\r\n' >&6
printf 'POST /api/submissions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"document":' >&7
t0=$(now)
for i in 1 2 3; do quick "stalled-$i"; sleep 0.3; done # others are served meanwhile
for fd in 5 6 7; do
    closed_within $fd $((TIMEOUT + 3)) >/dev/null || fail "stalled connection $fd not cut"
done
lt "$(elapsed "$t0")" $((TIMEOUT + 3)) || fail "stalled connections cut after $(elapsed "$t0") s"
exec 5>&- 6>&- 7>&-
echo "ok: stalled headers and bodies cut after the ${TIMEOUT}s timeout"

# --- 2. slowloris: a header trickled one byte per 0.5 s ---------------------------------------
# Each byte is activity, so an idle timeout alone never fires; what must hold is that the
# trickler costs other clients nothing. Whether it is cut is reported (see docs/benchmarks.md).
(
    trap '' PIPE
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
    printf 'GET /api/health HTTP/1.1\r\nHost: t\r\nX-Trickle: ' >&3
    for i in $(seq 16); do
        sleep 0.5
        printf 'a' >&3 2>/dev/null || { echo "cut $i" >"$T/trickle"; exit 0; }
    done
    echo "open" >"$T/trickle"
) &
BG+=($!)
for i in 1 2 3 4 5; do quick "trickle-$i"; sleep 0.4; done
wait "${BG[-1]}"
echo "note: a header trickled a byte per 0.5 s for 8 s: $(cat "$T/trickle") (timeout ${TIMEOUT}s is per idle period)"

# --- 3. a 100 MB upload is refused early, memory does not grow ---------------------------------
truncate -s 100M "$T/big" # sparse: costs no disk
rss0=$(rss)
t0=$(now)
code=$(curl -s -o "$T/body" -m 20 -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -T "$T/big" "$B/api/submissions") || true
took=$(elapsed "$t0")
[ "$code" = 413 ] || fail "100 MB upload (Content-Length) got $code"
grep -q '"code":"too_big"' "$T/body" || fail "413 body: $(head -c 200 "$T/body")"
lt "$took" 2 || fail "100 MB upload took $took s to refuse (body read?)"
# the same without Content-Length (chunked): drained a bounded amount, then cut or 413
t0=$(now)
code=$(head -c 100000000 /dev/zero | curl -s -o /dev/null -m 20 -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' -H 'Expect:' -T - \
    "$B/api/submissions") || true
took2=$(elapsed "$t0")
[ "$code" = 413 ] || [ "$code" = 000 ] || fail "100 MB chunked upload got $code"
lt "$took2" 10 || fail "100 MB chunked upload took $took2 s"
rss1=$(rss)
grow=$((rss1 - rss0))
[ "$grow" -lt 20000 ] || fail "server RSS grew by $grow kB on 100 MB uploads ($rss0 -> $rss1 kB)"
quick after-upload
echo "ok: 100 MB uploads refused (Content-Length: 413 in ${took}s; chunked: $code in ${took2}s), VmRSS $rss0 -> $rss1 kB"

# --- 4. every connection slot held by idle sockets --------------------------------------------
fds=()
for i in $(seq $MAXCONN); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect $i"
    fds+=("$fd")
done
sleep 0.2
t0=$(now)
code=$(curl -s -o "$T/body" -m $((TIMEOUT + 6)) -w '%{http_code}' "$B/api/races/1/results") || true
took=$(elapsed "$t0")
[ "$code" = 200 ] || fail "request behind $MAXCONN idle connections got $code after $took s"
lt "$took" $((TIMEOUT + 4)) || fail "request behind idle connections took $took s"
lt 0.5 "$took" || fail "request served in $took s although every slot was taken"
for fd in "${fds[@]}"; do exec {fd}>&-; done
quick after-idle
echo "ok: with $MAXCONN idle connections a new request waited ${took}s and was served"

kill -TERM "$PID"
wait "$PID" || fail "server exit status $? after SIGTERM"
PID=
echo "ok: limits"
