#!/usr/bin/env bash
# Browser test of the three web pages against a real `rekap serve`: a demo province (~1,000 TPS),
# a KPPS account, a PPK account and a few seeded KPPS uploads; then tests/browser/web.test.js
# drives Debian's Chromium through playwright-core: the KPPS app end to end (the digit reader
# pre-filling from the page photos, offline queue included), the recap console's correction and approval, and the public portal. Screenshots of
# every page go to $REKAP_BUILD_DIR/screenshots/. npm packages are installed with `npm ci` from
# tests/browser/package-lock.json into the build directory (never into the source tree).
set -u
REKAP=${REKAP:?REKAP must point at the rekap binary}
SRC=${REKAP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${REKAP_BUILD_DIR:-$SRC/build}
CHROMIUM=${REKAP_CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "skip: chromium, node or npm not installed (scripts/deps.sh) / chromium, node atau npm tidak terpasang"
    exit 77
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || {
    echo "skip: node >= 20 needed / perlu node >= 20"
    exit 77
}

# playwright-core, pinned by the lock file; reinstalled only when the lock file changes.
NM="$BUILD/browser-node"
mkdir -p "$NM"
if ! cmp -s "$SRC/tests/browser/package-lock.json" "$NM/package-lock.json" || [ ! -d "$NM/node_modules/playwright-core" ]; then
    cp "$SRC/tests/browser/package.json" "$SRC/tests/browser/package-lock.json" "$NM/"
    if ! (cd "$NM" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
        rm -f "$NM/package-lock.json"
        echo "skip: npm ci failed (no registry?) / npm ci gagal"
        exit 77
    fi
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-web-XXXXXX")
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/err" ] && tail -20 "$T/err" | sed 's/^/  server: /' >&2
    exit 1
}

DB="$T/web.db"
"$REKAP" demo --db "$DB" --scale 0.02 >/dev/null || fail "demo"
KPPS_TPS=6101012001001
echo 'kpps-sandi-rahasia' | "$REKAP" user add --db "$DB" --username kpps1 --role kpps \
    --scope "$KPPS_TPS" --password-stdin >/dev/null || fail "user add kpps"
echo 'ppk-sandi-rahasia' | "$REKAP" user add --db "$DB" --username ppk1 --role ppk \
    --scope 610101 --password-stdin >/dev/null || fail "user add ppk"
echo 'bawaslu-sandi-rahasia' | "$REKAP" user add --db "$DB" --username bawaslu1 --role bawaslu \
    --scope 610101 --password-stdin >/dev/null || fail "user add bawaslu"
# Accounts for the TPS of a second desa: the test seeds their uploads through the API.
"$REKAP" user bulk --db "$DB" --role kpps --region 6101012002 --out "$T/seed.csv" >/dev/null 2>&1 ||
    fail "user bulk"
# The two form pages as a phone would photograph them (the printed form, filled in), at 150 dpi:
# 1240x1754 px, larger than the 1600 px the app uploads, so the reader gets the original.
cat >"$T/fill.json" <<'JSON'
{"pemilih_dpt_l":218,"pemilih_dpt_p":208,"pemilih_dpt_j":426,"pengguna_dpt_l":150,"pengguna_dpt_p":146,
 "pengguna_dpt_j":296,"pengguna_dptb_l":3,"pengguna_dptb_p":2,"pengguna_dptb_j":5,"pengguna_dpk_l":2,
 "pengguna_dpk_p":3,"pengguna_dpk_j":5,"pengguna_total_l":155,"pengguna_total_p":151,"pengguna_total_j":306,
 "ss_diterima":437,"ss_digunakan":306,"ss_rusak":2,"ss_sisa":129,"disabilitas_l":2,"disabilitas_p":1,
 "disabilitas_j":3,"suara_paslon_1":180,"suara_paslon_2":120,"suara_sah":300,"suara_tidak_sah":6,"suara_total":306}
JSON
for p in 1 2; do
    "$REKAP" form print --db "$DB" --tps "$KPPS_TPS" --race 1 --format png --dpi 150 --page $p \
        --fill "$T/fill.json" --out "$T/page$p.png" >/dev/null || fail "form print page $p"
done

"$REKAP" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" --key "$T/log.key" --no-cache \
    --model "$SRC/models/digits.bin" --threads 4 >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 100); do
    [ -s "$T/port" ] && break
    kill -0 "$PID" 2>/dev/null || fail "server exited early"
    sleep 0.05
done
[ -s "$T/port" ] || fail "no port file"

mkdir -p "$BUILD/screenshots"
rm -f "$BUILD/screenshots/FAILED.png"
NODE_PATH="$NM/node_modules" REKAP_URL="http://127.0.0.1:$(cat "$T/port")" REKAP_CHROMIUM="$CHROMIUM" \
    REKAP_TMP="$T" REKAP_SHOTS="$BUILD/screenshots" REKAP_WEB="$SRC/web" KPPS_TPS="$KPPS_TPS" \
    timeout 150 node "$SRC/tests/browser/web.test.js" || fail "browser test"
echo "ok: browser"
