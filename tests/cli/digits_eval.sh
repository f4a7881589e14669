#!/usr/bin/env bash
# rekap digits eval: the shipped model on the first 1,000 MNIST training samples (gzip and plain
# give the same result), the machine-readable last three lines, and bad models/files refused.
set -euo pipefail
: "${REKAP:?}" "${REKAP_SOURCE_DIR:?}"
data="${REKAP_SHARED_DATA:-$REKAP_SOURCE_DIR/../shared/data}/mnist"
if [[ ! -r "$data/train-images-idx3-ubyte.gz" || ! -r "$data/train-labels-idx1-ubyte.gz" ]]; then
    echo "SKIP: $data absent / data MNIST tidak ada"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=1000
# IDX headers for n items, then the first n items of the real files (head closes the pipe
# early, so pipefail is off here and the sizes are checked instead).
set +o pipefail
{ printf '\x00\x00\x08\x03\x00\x00\x03\xe8\x00\x00\x00\x1c\x00\x00\x00\x1c'
  gzip -dc "$data/train-images-idx3-ubyte.gz" | tail -c +17 | head -c $((n * 784)); } > "$tmp/img"
{ printf '\x00\x00\x08\x01\x00\x00\x03\xe8'
  gzip -dc "$data/train-labels-idx1-ubyte.gz" | tail -c +9 | head -c $n; } > "$tmp/lab"
set -o pipefail
[[ $(stat -c %s "$tmp/img") == $((16 + n * 784)) && $(stat -c %s "$tmp/lab") == $((8 + n)) ]] ||
    { echo "could not cut the first $n samples"; exit 1; }
gzip -c "$tmp/img" > "$tmp/img.gz"
cd "$tmp" # no ./models here: the default must fall back to the source tree's model
plain=$("$REKAP" digits eval "$tmp/img" "$tmp/lab")
gz=$("$REKAP" digits eval "$tmp/img.gz" "$tmp/lab" --model "$REKAP_SOURCE_DIR/models/digits.bin")
last3=$(tail -n 3 <<<"$plain")
[[ "$last3" == "$(tail -n 3 <<<"$gz")" ]] || { echo "gzip and plain differ"; exit 1; }
re='^error_rate=([0-9.]+)
reject_rate=([0-9.]+)
accepted_error_rate=([0-9.]+)$'
[[ "$last3" =~ $re ]] || { echo "unexpected last lines: $last3"; exit 1; }
err=${BASH_REMATCH[1]} rej=${BASH_REMATCH[2]} aerr=${BASH_REMATCH[3]}
grep -q "^samples=$n " <<<"$plain" || { echo "sample count missing"; exit 1; }
# Most of these samples were trained on, so these bounds only catch a broken model or reader;
# the honest held-out figures are checked by tests/lib/test_digits_heldout.c. The shipped
# threshold rejects ~14% (models/MODEL_CARD.md), hence the loose reject bound.
awk -v e="$err" -v r="$rej" -v a="$aerr" 'BEGIN { exit !(e <= 0.01 && r <= 0.2 && a <= 0.002) }' ||
    { echo "model too weak on the first $n samples: $last3"; exit 1; }
echo "eval ok: $err $rej $aerr"

# A corrupt model (via $REKAP_MODEL) is refused with exit 1 and a message.
head -c 1000 "$REKAP_SOURCE_DIR/models/digits.bin" > "$tmp/bad.bin"
set +e
REKAP_MODEL="$tmp/bad.bin" "$REKAP" digits eval "$tmp/img" "$tmp/lab" > /dev/null 2> "$tmp/err"
rc=$?
set -e
[[ $rc == 1 ]] && grep -q "model" "$tmp/err" || { echo "corrupt model: rc=$rc"; cat "$tmp/err"; exit 1; }
# --held-out on files smaller than the model's split; labels that do not match the images in
# number; a label file given as images; a missing file; usage.
{ printf '\x00\x00\x08\x01\x00\x00\x00\x05'; head -c 5 /dev/zero; } > "$tmp/lab5"
for args in "$tmp/img $tmp/lab --held-out" "$tmp/img $tmp/lab5" "$tmp/lab $tmp/lab" "$tmp/missing $tmp/lab"; do
    set +e
    # shellcheck disable=SC2086
    "$REKAP" digits eval $args > /dev/null 2>&1
    rc=$?
    set -e
    [[ $rc == 1 ]] || { echo "expected failure for: $args (rc=$rc)"; exit 1; }
done
set +e
"$REKAP" digits eval "$tmp/img" > /dev/null 2>&1
rc=$?
set -e
[[ $rc == 2 ]] || { echo "usage error expected, got $rc"; exit 1; }
echo ok
