#!/usr/bin/env bash
# `rekap serve` under valgrind's memcheck (issue 6: nothing crashes, hangs or leaks under
# ASan/UBSan *and* valgrind). The sanitizer build checks our own code; valgrind also sees into
# the Debian libraries it calls (libmicrohttpd, jansson, SQLite, libsodium, libjpeg/libpng,
# zbar, cairo) without rebuilding them, and runs the ordinary optimised binary.
#
# One server process takes, in order: a small province's signed uploads from bench_loadgen (with
# readers beside it), every public read shape, a PPK's login, approval and correction, and a
# battery of hostile requests (malformed and oversized bodies, unknown fields, forged and
# replayed signatures, wrong TPS, bad tokens, corrupt images, odd methods and paths), each
# answered with its expected 4xx; then SIGTERM. The test fails on any memcheck error (invalid
# read or write, use of uninitialised memory, bad free, overlapping copy) or definite/indirect
# leak at exit, on a server that does not stop cleanly, and on a store that does not audit
# afterwards (bench_loadgen --verify). tests/valgrind.supp lists the suppressed library reports
# and why. Runs in the plain build only (valgrind cannot run an ASan binary): ~1-2 minutes.
set -u
REKAP=${REKAP:?REKAP must point at the rekap binary}
LG=${REKAP_BUILD_DIR:?REKAP_BUILD_DIR must be set}/bench_loadgen
SRC=${REKAP_SOURCE_DIR:?REKAP_SOURCE_DIR must be set}
for tool in valgrind curl jq sqlite3; do
    command -v $tool >/dev/null || { echo "skip: $tool not installed / tidak terpasang"; exit 77; }
done
if [ ! -x "$LG" ]; then
    echo "skip: $LG not built / belum dibangun"
    exit 77
fi
if grep -q "REKAP_SANITIZE:BOOL=ON" "$REKAP_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    echo "skip: sanitizer build; valgrind runs the plain one / build sanitizer, valgrind di build biasa"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-valgrind-XXXXXX")
PID=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/vg.log" ] && tail -40 "$T/vg.log" | sed 's/^/  valgrind: /' >&2
    [ -f "$T/client.err" ] && tail -10 "$T/client.err" | sed 's/^/  client: /' >&2
    exit 1
}
DB="$T/vg.db"

# ~180 TPS, two races each.
"$LG" --db "$DB" --demo 61 --scale 0.01 --seed 5 --prepare-only >"$T/prep.out" 2>&1 ||
    fail "prepare: $(cat "$T/prep.out")"
KEC=$(sqlite3 "$DB" "SELECT code FROM region WHERE level = 3 ORDER BY code LIMIT 1")
[ -n "$KEC" ] || fail "no kecamatan in the demo store"
PW='valgrind-ppk-rahasia-2024'
printf '%s\n' "$PW" | "$REKAP" user add --db "$DB" --username ppk_vg --role ppk --scope "$KEC" \
    --password-stdin >/dev/null 2>&1 || fail "user add"

valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --suppressions="$SRC/tests/valgrind.supp" \
    --log-file="$T/vg.log" \
    "$REKAP" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" --threads 4 \
    --key "$T/log.key" --no-rate-limit --model "$SRC/models/digits.bin" >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
for _ in $(seq 1200); do # valgrind starts slowly: up to 60 s
    [ -s "$T/port" ] && break
    kill -0 "$PID" 2>/dev/null || fail "server exited early: $(tail -3 "$T/serve.err")"
    sleep 0.05
done
[ -s "$T/port" ] || fail "server did not start within 60 s"
B="http://127.0.0.1:$(cat "$T/port")"

# 1. Every signed upload, with readers beside it.
"$LG" --db "$DB" --seed 5 --target "${B#http://}" --rate 80 --conns 8 --readers 2 --read-secs 0 \
    --ack-log "$T/acks" --max-time 240 >"$T/client.out" 2>"$T/client.err" ||
    fail "load generator: $(tail -3 "$T/client.err")"
SUBS=$(sqlite3 "$DB" "SELECT count(*) FROM version")
ACKS=$(wc -l <"$T/acks")
[ "$ACKS" -gt 300 ] && [ "$SUBS" -eq "$ACKS" ] ||
    fail "acknowledged $ACKS submissions, store holds $SUBS versions"
echo "uploads: $ACKS acknowledged"

# expect CODE METHOD PATH [curl args...]: the answer's status must be CODE.
n=0
expect() {
    local want=$1 method=$2 path=$3 got
    shift 3
    got=$(curl -s -o "$T/body" -w '%{http_code}' -m 120 -X "$method" "$@" "$B$path") || got=000
    [ "$got" = "$want" ] || fail "$method $path: got $got, want $want: $(head -c 300 "$T/body")"
    n=$((n + 1))
}

# 2. Every public read shape.
RACE=$(curl -s "$B/api/races?region=61" | jq -r '.races[0].id // .[0].id // empty')
[ -n "$RACE" ] || fail "no race in /api/races?region=61"
TPS=$(sqlite3 "$DB" "SELECT tps_code FROM tps_state WHERE race_id = $RACE AND tps_code LIKE '$KEC%' LIMIT 1")
[ -n "$TPS" ] || fail "no uploaded TPS in kecamatan $KEC"
expect 200 GET /api/health
expect 200 GET /api/elections
expect 200 GET /api/regions
expect 200 GET "/api/regions/$KEC"
expect 200 GET "/api/races?region=61"
expect 200 GET "/api/races/$RACE"
expect 200 GET "/api/races/$RACE/results?region=61"
expect 200 GET "/api/races/$RACE/results?region=$KEC"
expect 200 GET "/api/races/$RACE/results.csv?region=61"
expect 200 GET "/api/races/$RACE/tps?region=$KEC&flagged=1"
expect 200 GET "/api/races/$RACE/regions/$KEC/dhasil.json"
expect 200 GET "/api/races/$RACE/regions/$KEC/dhasil.pdf"
expect 200 GET "/api/tps/$TPS/races/$RACE"
expect 200 GET "/api/tps/$TPS/races/$RACE/versions/1"
expect 200 GET /api/log/sth
SIZE=$(jq -r '.sth.tree_size' "$T/body")
[ "${SIZE:-0}" -gt 1 ] || fail "signed tree head has no size: $(cat "$T/body")"
expect 200 GET "/api/log/entries?start=0&count=50"
expect 200 GET "/api/log/proof/inclusion?index=1&size=$SIZE"
expect 200 GET "/api/log/proof/consistency?first=1&second=$SIZE"
expect 200 GET "/api/qr?text=rekap"
expect 200 GET /kpps/

# 3. A PPK logs in, approves one TPS and corrects another.
expect 200 POST /api/login -H 'Content-Type: application/json' \
    --data "{\"username\":\"ppk_vg\",\"password\":\"$PW\"}"
TOKEN=$(jq -r '.token' "$T/body")
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || fail "no session token"
AUTH=(-H "Authorization: Bearer $TOKEN")
expect 200 GET /api/me "${AUTH[@]}"
expect 200 GET "/api/tps/$TPS/races/$RACE"
expect 200 POST "/api/tps/$TPS/races/$RACE/approve" "${AUTH[@]}" \
    -H 'Content-Type: application/json' --data '{"version":1}'
TPS2=$(sqlite3 "$DB" "SELECT tps_code FROM tps_state WHERE race_id = $RACE AND tps_code LIKE '$KEC%' AND approved = 0 LIMIT 1")
# the correction swaps the first two pairs' votes: every sum of the form still holds
HASH2=$(sqlite3 "$DB" "SELECT lower(hex(current_hash)) FROM tps_state WHERE race_id = $RACE AND tps_code = '$TPS2'")
curl -s "$B/api/tps/$TPS2/races/$RACE" | jq '.current.document' >"$T/doc.json"
jq -n --slurpfile d "$T/doc.json" --arg prev "$HASH2" \
    '{document: ($d[0] | .suara_paslon_1 = $d[0].suara_paslon_2 | .suara_paslon_2 = $d[0].suara_paslon_1),
      prev: $prev, reason: "salah tulis saat salin / copying slip (valgrind test)"}' >"$T/corr.json"
expect 201 POST "/api/tps/$TPS2/races/$RACE/corrections" "${AUTH[@]}" \
    -H 'Content-Type: application/json' --data @"$T/corr.json"

# 4. Hostile requests: each refused with a clear 4xx, nothing stored.
BEFORE=$(sqlite3 "$DB" "SELECT count(*) FROM version")
J=(-H 'Content-Type: application/json')
expect 400 POST /api/submissions "${J[@]}" --data '{"document":'
expect 400 POST /api/submissions "${J[@]}" --data '[1,2,3'
expect 400 POST /api/submissions "${J[@]}" --data '{"unexpected":1}'
expect 400 POST /api/submissions "${J[@]}" --data '{"a":"\ud800"}'
expect 400 POST /api/submissions "${J[@]}" --data "$(printf '[%.0s' $(seq 3000))"
head -c 3000000 /dev/zero | tr '\0' 'a' >"$T/big"
expect 413 POST /api/submissions "${J[@]}" --data-binary @"$T/big"
# A real upload rebuilt from the store: sent again it is a duplicate; with one signature byte
# changed, or its document moved to another TPS, the signature fails; the corrected TPS's first
# upload replayed cannot roll it back.
envelope() { # TPS VERSION -> the upload's JSON body
    sqlite3 -json "$DB" "SELECT doc, photos, device, lower(hex(signature)) AS sig FROM version
                         WHERE tps_code = '$1' AND race_id = $RACE AND version = $2" |
        jq -c '.[0] | {document: (.doc | fromjson),
                       photos: (if .photos == "" then [] else (.photos | split(",")) end),
                       prev: null, device: .device, signature: .sig}'
}
TPS3=$(sqlite3 "$DB" "SELECT tps_code FROM tps_state WHERE race_id = $RACE AND approved = 0 AND current_version = 1 AND tps_code <> '$TPS2' LIMIT 1")
OTHER=$(sqlite3 "$DB" "SELECT code FROM region WHERE level = 5 AND code <> '$TPS3' ORDER BY code DESC LIMIT 1")
envelope "$TPS3" 1 >"$T/up.json"
[ -s "$T/up.json" ] || fail "cannot rebuild an upload of $TPS3"
expect 200 POST /api/submissions "${J[@]}" --data @"$T/up.json"
[ "$(jq -r '.duplicate' "$T/body")" = true ] || fail "resent upload not a duplicate: $(cat "$T/body")"
jq -c '.signature |= ((if .[0:1] == "0" then "1" else "0" end) + .[1:])' "$T/up.json" >"$T/forged.json"
expect 401 POST /api/submissions "${J[@]}" --data @"$T/forged.json"
jq -c --arg t "$OTHER" '.document.tps = $t' "$T/up.json" >"$T/moved.json"
expect 401 POST /api/submissions "${J[@]}" --data @"$T/moved.json"
envelope "$TPS2" 1 >"$T/old.json"
expect 409 POST /api/submissions "${J[@]}" --data @"$T/old.json"
expect 400 POST /api/login "${J[@]}" --data '{"username":"ppk_vg"}'
expect 401 POST /api/login "${J[@]}" --data '{"username":"ppk_vg","password":"salah-sekali-123"}'
expect 401 GET /api/me -H 'Authorization: Bearer 0000000000000000000000000000000000000000'
expect 401 POST "/api/tps/$TPS/races/$RACE/approve" "${J[@]}" --data '{}'
expect 400 POST "/api/tps/$TPS2/races/$RACE/corrections" "${AUTH[@]}" "${J[@]}" \
    --data '{"document":{},"prev":"zz","reason":""}'
head -c 5000 /dev/urandom >"$T/junk.jpg"
printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00' | cat - "$T/junk.jpg" >"$T/trunc.jpg"
expect 401 POST /api/read -H 'Content-Type: image/jpeg' --data-binary @"$T/junk.jpg"
expect 401 POST /api/photos -H 'Content-Type: image/jpeg' --data-binary @"$T/trunc.jpg"
expect 404 GET /api/nope
expect 404 GET "/api/tps/${TPS:0:10}999/races/$RACE"
expect 400 GET "/api/tps/0000000000000/races/$RACE"
expect 404 GET "/api/races/999999/results?region=61"
expect 400 GET "/api/log/entries?start=-1&count=99999999"
expect 400 GET "/api/log/proof/inclusion?index=$SIZE&size=1"
expect 400 GET "/api/verify?receipt=RKW1|garbage"
expect 400 GET "/static/../../etc/passwd" --path-as-is
expect 405 DELETE /api/elections
AFTER=$(sqlite3 "$DB" "SELECT count(*) FROM version")
[ "$AFTER" -eq "$BEFORE" ] || fail "hostile requests changed the store: $BEFORE -> $AFTER versions"
echo "requests: $n answered as expected"

# 5. Stop; valgrind's verdict is the server's exit status.
kill -TERM "$PID"
for _ in $(seq 1200); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
kill -0 "$PID" 2>/dev/null && fail "server still running 60 s after SIGTERM"
wait "$PID"
st=$?
PID=
[ "$st" -eq 0 ] || fail "exit status $st (99: memcheck found errors or leaks)"
[ -s "$T/vg.log" ] && fail "valgrind reported something"
"$LG" --verify "$DB" --ack-log "$T/acks" --key "$T/log.key" >"$T/verify.out" 2>&1 ||
    fail "audit after the run: $(tail -5 "$T/verify.out")"
echo "ok: memcheck clean, store audits"
