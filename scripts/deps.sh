#!/usr/bin/env bash
# Installs the Debian 12 packages rekap needs to build, test and run — only the missing ones, so
# a second run costs nothing. Every package the project uses is named here and nowhere else.
set -euo pipefail

PACKAGES=(
  # toolchain
  gcc clang cmake ninja-build pkg-config make
  # libraries (see DEVELOPERS.md: Debian packages only)
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev zlib1g-dev
  libpng-dev libjpeg62-turbo-dev libcairo2-dev libqrencode-dev libzbar-dev
  # tests
  libcmocka-dev curl unzip jq sqlite3 ca-certificates bc fonts-dejavu-core
  # tests/docs/openapi.sh checks docs/openapi.json with the standard library only
  python3
  # memcheck over the fuzz corpora and a whole server run (tests/e2e/valgrind.sh)
  valgrind
  # bench/reader.c compares the form reader with Tesseract on the same digit boxes
  tesseract-ocr
  # the PostgreSQL engine's tests start a throwaway server (scripts/pg-throwaway.sh)
  postgresql
  # bench_loadgen's reference: nginx serving the same result bytes
  nginx
  # browser tests (tests/browser): Debian's Chromium, driven by playwright-core from npm
  chromium
)
# Node.js and npm for the browser tests, from Debian unless a Node.js with npm is already there
# (a NodeSource nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "rekap: memasang paket / installing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
