#!/usr/bin/env bash
# `rekap serve` end to end: a small store built with the importers from fixtures written here,
# the server started on port 0 with --port-file, then curl against it; finally SIGTERM while a
# slow request is in flight must let that request finish and exit 0.
set -u
REKAP=${REKAP:?REKAP must point at the rekap binary}
if ! command -v curl >/dev/null; then
    echo "skip: curl not installed / curl tidak terpasang"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-serve-XXXXXX")
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/err" ] && sed 's/^/  server: /' "$T/err" >&2
    exit 1
}

cat >"$T/wilayah.csv" <<'EOF'
kode,nama
11,ACEH
11.01,KAB. ACEH SELATAN
11.01.01,Bakongan
11.01.01.2001,Keude Bakongan
11.71,KOTA BANDA ACEH
11.71.01,Baiturrahman
11.71.01.1001,Ateuk Jawo
EOF
cat >"$T/tps.txt" <<'EOF'
1101012001001,150,160
1101012001002,200,210
1171011001001,100,101
EOF
cat >"$T/pkwkp.json" <<'EOF'
{"11": {"1000101": {"nama": "BUSTAMI - FADHIL", "warna": "#B67352", "nomor_urut": 1},
        "1000102": {"nama": "MUZAKIR - FADHLULLAH", "warna": "#123456", "nomor_urut": 2}}}
EOF
cat >"$T/pkwkk.json" <<'EOF'
{"1101": {"1000530": {"nama": "MIRWAN - BAHARUDDIN", "warna": "#111111", "nomor_urut": 1},
          "1000531": {"nama": "KOLOM KOSONG - ", "warna": "#222222", "nomor_urut": 2}}}
EOF
DB="$T/t.db"
"$REKAP" import-regions --db "$DB" "$T/wilayah.csv" >/dev/null || fail "import-regions"
"$REKAP" import-tps --db "$DB" "$T/tps.txt" >/dev/null || fail "import-tps"
"$REKAP" import-candidates --db "$DB" "$T/pkwkp.json" "$T/pkwkk.json" >/dev/null ||
    fail "import-candidates"

# Usage errors exit 2 and start nothing.
"$REKAP" serve --db "$DB" --listen nope 2>/dev/null
[ $? -eq 2 ] || fail "--listen nope should be a usage error"
"$REKAP" serve --db "$DB" --max-body 0 2>/dev/null
[ $? -eq 2 ] || fail "--max-body 0 should be a usage error"

# wait_port FILE: until the server started last (PID) has written its port there.
wait_port() {
    for _ in $(seq 100); do
        [ -s "$1" ] && return
        kill -0 "$PID" 2>/dev/null || fail "server exited early"
        sleep 0.05
    done
}

REKAP_SERVE_STATS=1 "$REKAP" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" \
    --threads 2 --access-log "$T/access.log" --max-body 2000 >"$T/out" 2>"$T/err" &
PID=$!
wait_port "$T/port"
PORT=$(cat "$T/port") || fail "no port file"
B="http://127.0.0.1:$PORT"
grep -q "rekap melayani di http://127.0.0.1:$PORT/" "$T/out" || fail "banner: $(cat "$T/out")"

# check NAME EXPECTED_STATUS EXPECTED_BODY_SUBSTRING CURL_ARGS...
check() {
    local name=$1 want=$2 needle=$3
    shift 3
    local got
    got=$(curl -s -o "$T/body" -w '%{http_code}' "$@") || fail "$name: curl failed"
    [ "$got" = "$want" ] || fail "$name: status $got, want $want: $(head -c 300 "$T/body")"
    grep -qF -- "$needle" "$T/body" || fail "$name: body lacks $needle: $(head -c 300 "$T/body")"
}

check health 200 '"status":"ok"' "$B/api/health"
check health-store 200 '"store":"sqlite"' "$B/api/health"
# ... and says when the registry warm-up is done: an operator's "ready for the evening"
for _ in $(seq 100); do
    curl -s "$B/api/health" | grep -q '"registry_cache":"warm","registry_cache_rows":3' && break
    sleep 0.1
done
curl -s "$B/api/health" | grep -q '"registry_cache":"warm","registry_cache_rows":3' ||
    fail "health does not report the warm registry cache: $(curl -s "$B/api/health")"
check elections 200 '"slug":"pilkada2024"' "$B/api/elections"
check root 200 '"counts":{"provinsi":1,"kabkota":2,"kecamatan":2,"desa":2,"tps":3}' "$B/api/regions"
check root-dpt 200 '"dpt":{"l":450,"p":471,"total":921}' "$B/api/regions"
check kab 200 '"breadcrumb":[{"code":"11"' "$B/api/regions/1101"
check kab-counts 200 '"counts":{"kecamatan":1,"desa":1,"tps":2}' "$B/api/regions/1101"
check desa-children 200 '"code":"1101012001002","name":"TPS 002"' "$B/api/regions/1101012001"
check races 200 '"kind_label":"Bupati"' "$B/api/races?region=1101&election=pilkada2024"
check races-kk 200 '"name":"KOLOM KOSONG","color":"#222222","kolom_kosong":true' \
    "$B/api/races?region=1101"
check races-kota 200 '"races":[{"id":1,' "$B/api/races?region=1171"
check race 200 '"single_candidate":true' "$B/api/races/2"
check region-404 404 '{"error":{"code":"not_found",' "$B/api/regions/1102"
check region-400 400 '{"error":{"code":"invalid",' "$B/api/regions/1.1"
check race-404 404 '"code":"not_found"' "$B/api/races/42"
check route-404 404 '"pesan":"alamat tidak ditemukan"' "$B/api/nope"
check method-405 405 '"code":"method_not_allowed"' -X PUT "$B/api/races/2"
curl -s -D "$T/h" -o /dev/null -X POST "$B/api/health"
grep -qi '^Allow: GET, HEAD' "$T/h" || fail "405 without Allow header"

head -c 5000 /dev/zero | tr '\0' ' ' >"$T/big"
check body-413-length 413 '"code":"too_big"' -H 'Content-Type: application/json' \
    --data-binary @"$T/big" "$B/api/regions/lookup"
check body-413-chunked 413 '"code":"too_big"' -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$B/api/regions/lookup"
check lookup 200 '"missing":["12"]' -H 'Content-Type: application/json' \
    --data '{"codes":["11","12"]}' "$B/api/regions/lookup"
LONG=$(head -c 3000 /dev/zero | tr '\0' a)
check uri-414 414 '"code":"uri_too_long"' "$B/api/regions?q=$LONG"

check index 200 '<html lang="id">' "$B/"
check app-js 200 'use strict' "$B/static/app.js"
check traversal 400 '"code":"invalid"' --path-as-is "$B/static/../CMakeLists.txt"
# The KPPS app and the recap console live under their own prefixes (the service worker's scope).
check kpps 200 'rel="manifest" href="/kpps/manifest.webmanifest"' "$B/kpps/"
check kpps-bare 200 'rel="manifest"' "$B/kpps"
check kpps-sw 200 'addEventListener(' "$B/kpps/sw.js"
check kpps-manifest 200 '"scope": "/kpps/"' "$B/kpps/manifest.webmanifest"
check console 200 '/console/app.js' "$B/console/"
check kpps-traversal 400 '"code":"invalid"' --path-as-is "$B/kpps/../CMakeLists.txt"
check kpps-hidden 400 '"code":"invalid"' "$B/kpps/.secret"
check kpps-404 404 '"code":"not_found"' "$B/kpps/nope.js"
curl -s -D "$T/h" -o /dev/null "$B/kpps/sw.js"
grep -qi '^Content-Type: text/javascript' "$T/h" || fail "sw.js content type"
grep -qi '^Cache-Control: no-cache' "$T/h" || fail "sw.js must not be cached by HTTP"
# QR codes for KPPS receipts.
check qr 200 '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' "$B/api/qr?text=https%3A%2F%2Fx.example%2F%23%2F6101012001001%2F1"
curl -s -D "$T/h" -o /dev/null "$B/api/qr?text=abc"
grep -qi '^Content-Type: image/svg+xml' "$T/h" || fail "qr content type"
check qr-missing 400 '"code":"invalid"' "$B/api/qr"
check qr-empty 400 '"code":"invalid"' "$B/api/qr?text="
LONGQ=$(head -c 1100 /dev/zero | tr '\0' q)
check qr-long 413 '"code":"too_big"' "$B/api/qr?text=$LONGQ"
check traversal-enc 400 '"code":"invalid"' --path-as-is "$B/static/%2e%2e/%2e%2e/CMakeLists.txt"

ETAG=$(curl -s -D - -o /dev/null "$B/api/regions/11" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
[ -n "$ETAG" ] || fail "no ETag"
got=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$B/api/regions/11")
[ "$got" = 304 ] || fail "If-None-Match gave $got, want 304"
got=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$B/api/regions/1101")
[ "$got" = 200 ] || fail "foreign ETag gave $got, want 200"

# SIGTERM with a slow request in flight: it must still be answered, then exit 0.
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
printf 'GET /api/regions/11 HTTP/1.1\r\nHost: t\r\n' >&3
sleep 0.2
kill -TERM "$PID"
sleep 0.3
kill -0 "$PID" 2>/dev/null || fail "server exited before the in-flight request finished"
printf 'Connection: close\r\n\r\n' >&3
RESP=$(timeout 10 cat <&3)
exec 3<&-
printf '%s' "$RESP" | head -1 | grep -q '^HTTP/1.1 200' || fail "in-flight request: $RESP"
printf '%s' "$RESP" | grep -q '"name":"ACEH"' || fail "in-flight body: $RESP"
wait "$PID"
rc=$?
PID=
[ $rc -eq 0 ] || fail "server exit status $rc after SIGTERM"
[ ! -e "$T/port" ] || fail "port file left behind"
# The registry warm-up ran at start: the 3 TPS (the fixture has no accounts or device keys).
grep -q '^regcache: warmed with 3 rows in [0-9]* ms ([0-9]* ms working, success)$' "$T/err" ||
    fail "no warm-up line"
# ... and --no-warm skips it.
REKAP_SERVE_STATS=1 "$REKAP" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port2" \
    --threads 2 --no-warm >/dev/null 2>"$T/err2" &
PID=$!
wait_port "$T/port2"
curl -s "http://127.0.0.1:$(cat "$T/port2")/api/health" | grep -q '"registry_cache":"off"' ||
    fail "--no-warm: health does not say off"
kill -TERM "$PID"
wait "$PID"
PID=
! grep -q 'warmed' "$T/err2" || fail "--no-warm still warmed: $(cat "$T/err2")"
grep -q '^regcache: 0 hits' "$T/err2" || fail "--no-warm: no stats line: $(cat "$T/err2")"

# Access log: one JSON object per request with the status the client saw.
n=$(wc -l <"$T/access.log")
[ "$n" -ge 30 ] || fail "access log has $n lines"
grep -v -E '^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","remote":"127\.0\.0\.1","method":"[A-Z]+","path":"[^"]*","status":[0-9]+,"bytes":[0-9]+,"dur_ms":[0-9.e+-]+\}$' \
    "$T/access.log" >"$T/badlog" && fail "malformed log lines: $(head -3 "$T/badlog")"
grep -q '"path":"/api/regions/1102","status":404,' "$T/access.log" || fail "404 not logged"
grep -q '"method":"PUT","path":"/api/races/2","status":405,' "$T/access.log" || fail "405 not logged"
grep -q '"path":"/api/regions/11","status":304,"bytes":0,' "$T/access.log" || fail "304 not logged"
[ "$(grep -c '"path":"/api/regions/lookup","status":413' "$T/access.log")" -eq 2 ] || fail "413s not logged"
echo "ok: serve"
