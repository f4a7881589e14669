#!/usr/bin/env bash
# ctest-label: slow (10,000 digits x 5 networks; the C held-out test covers the model under ASan)
# rekap digits eval: the shipped model on the first 1,000 MNIST training samples (gzip and plain
# give the same result), the machine-readable last three lines, and bad models/files refused.
# --unseen: the half of the held-out split the threshold was not fitted on. rekap digits
# ensemble: the documented calibration, rerun on the shipped model's networks, gives back the
# shipped file byte for byte.
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
# threshold sends ~6 % of held-out digits (4.4 % of these) to a person (models/MODEL_CARD.md).
awk -v e="$err" -v r="$rej" -v a="$aerr" 'BEGIN { exit !(e <= 0.01 && r <= 0.1 && a <= 0.002) }' ||
    { echo "model too weak on the first $n samples: $last3"; exit 1; }
echo "eval ok: $err $rej $aerr"

# --unseen: 5,000 digits (the second half of the held-out split), same last three lines.
imgs="$data/train-images-idx3-ubyte.gz" labs="$data/train-labels-idx1-ubyte.gz"
un=$("$REKAP" digits eval "$imgs" "$labs" --unseen)
grep -q "^samples=5000 " <<<"$un" || { echo "--unseen: expected 5000 samples: $un"; exit 1; }
[[ "$(tail -n 3 <<<"$un")" =~ $re ]] || { echo "--unseen: unexpected last lines"; exit 1; }
echo "unseen: $(tail -n 3 <<<"$un" | tr '\n' ' ')"
# --list: one line per digit read wrong or sent to a person, before the same summary; the
# counts match it, and the second half's most confident error (models/MODEL_CARD.md: #39184,
# labelled 3, read as 7; the blind review read "3/7") is listed, accepted at the 2 % budget.
li=$("$REKAP" digits eval "$imgs" "$labs" --unseen --list)
[[ "$(tail -n 3 <<<"$li")" == "$(tail -n 3 <<<"$un")" ]] || { echo "--list changed the figures"; exit 1; }
sum=$(grep '^samples=' <<<"$li")
[[ "$sum" =~ wrong=([0-9]+)\ rejected=([0-9]+)\ accepted_wrong=([0-9]+) ]] || { echo "$sum"; exit 1; }
nw=${BASH_REMATCH[1]} nr=${BASH_REMATCH[2]} naw=${BASH_REMATCH[3]}
lines=$(grep -c '^digit position=' <<<"$li" || true)
lwrong=$(awk '/^digit / { split($4, l, "="); split($5, r, "="); if (l[2] != r[2]) n++ } END { print n + 0 }' <<<"$li")
lperson=$(grep -c ' to_person$' <<<"$li" || true)
lacc=$(grep -c ' ACCEPTED_WRONG$' <<<"$li" || true)
[[ $lines == $((nr + naw)) && $lwrong == "$nw" && $lperson == "$nr" && $lacc == "$naw" ]] ||
    { echo "--list: $lines lines, $lwrong wrong, $lperson to a person against: $sum"; exit 1; }
grep -Eq '^digit position=[5-9][0-9]{3} index=39184 label=3 read=7 prob=0\.99[0-9]+ agree=5/5 ACCEPTED_WRONG$' \
    <<<"$li" || { echo "--list: #39184 missing"; grep 'index=39184' <<<"$li"; exit 1; }
echo "list: $lines lines"

# --set-aside: the blind review (models/heldout-review.tsv) disputes the label of 17 digits of
# the second half, among them every digit accepted wrong above: left out, none is accepted wrong.
review="$REKAP_SOURCE_DIR/models/heldout-review.tsv"
sa=$("$REKAP" digits eval "$imgs" "$labs" --unseen --set-aside "$review" --list)
grep -q "^samples=4983 wrong=8 rejected=[0-9]* accepted_wrong=0 " <<<"$sa" ||
    { echo "--set-aside: $(grep '^samples=' <<<"$sa")"; exit 1; }
grep -q "^set_aside=17 review=$review\$" <<<"$sa" || { echo "--set-aside: count"; exit 1; }
[[ "$(tail -n 1 <<<"$sa")" == "accepted_error_rate=0.000000" ]] || { echo "--set-aside: rate"; exit 1; }
! grep -q 'index=39184 ' <<<"$sa" || { echo "--set-aside: #39184 still counted"; exit 1; }
# a review that does not parse is refused with its line, and nothing is evaluated
printf '56596\t9\n56596\t4\n' > "$tmp/bad.tsv"
set +e
out=$("$REKAP" digits eval "$imgs" "$labs" --unseen --set-aside "$tmp/bad.tsv" 2>&1)
rc=$?
set -e
[[ $rc == 1 && "$out" == *"bad.tsv:2:"* && "$out" != *error_rate=* ]] ||
    { echo "bad review accepted ($rc): $out"; exit 1; }
echo "set-aside: ok"

# ensemble: recalibrating the shipped networks on the first half reproduces the shipped model.
"$REKAP" digits ensemble --images "$imgs" --labels "$labs" --out "$tmp/re.bin" --budget 0.0167 \
    --set-aside "$review" "$REKAP_SOURCE_DIR/models/digits.bin" > "$tmp/ens.out"
cmp -s "$tmp/re.bin" "$REKAP_SOURCE_DIR/models/digits.bin" ||
    { echo "ensemble did not reproduce the shipped model"; cat "$tmp/ens.out"; exit 1; }
grep -q "^shipped: calibrated on \[0,5000)" "$tmp/ens.out" || { echo "calibration range"; exit 1; }
# the review is reported and measured against: the other half accepts 3 digits whose label it
# disputes and none it does not; the budget holds on the calibration half
for want in "^review .*: 200 digits reviewed, 30 disputed; set aside: 30 of the split's 10000" \
    "^other half: samples=4983 wrong=8 rejected=[0-9]+ accepted_wrong=0 " \
    "^other half, labels as given: samples=5000 wrong=25 rejected=[0-9]+ accepted_wrong=3 " \
    "^reverse fold measured: samples=4987 wrong=1 rejected=[0-9]+ accepted_wrong=0 "; do
    grep -Eq "$want" "$tmp/ens.out" || { echo "ensemble: no '$want'"; cat "$tmp/ens.out"; exit 1; }
done
# --budget 0.0167 gives a lower threshold than the default error-target rule, which sends ~6 %
# of the calibration half to a person (models/MODEL_CARD.md, operating points)
"$REKAP" digits ensemble --images "$imgs" --labels "$labs" --out "$tmp/t.bin" \
    "$tmp/re.bin" > "$tmp/t.out"
thr() { sed -nE 's/^shipped: .*threshold=([0-9.]+) .*/\1/p' "$1"; }
awk -v b="$(thr "$tmp/ens.out")" -v t="$(thr "$tmp/t.out")" 'BEGIN { exit !(b > 0.9 && b < t) }' ||
    { echo "thresholds: budget $(thr "$tmp/ens.out"), target $(thr "$tmp/t.out")"; exit 1; }
# --any (no unanimity) and --calibrate second are recorded in the file
"$REKAP" digits ensemble --images "$imgs" --labels "$labs" --out "$tmp/e2.bin" --any \
    --calibrate second "$tmp/re.bin" > /dev/null
grep -q "unanimous=0" <("$REKAP" digits eval "$tmp/img" "$tmp/lab" --model "$tmp/e2.bin") ||
    { echo "--any not recorded"; exit 1; }
grep -q "arithmetic=int8" <<<"$plain" || { echo "the shipped model is not 8-bit"; exit 1; }
# --float: a float32 file of the same networks, recorded as such
"$REKAP" digits ensemble --images "$imgs" --labels "$labs" --out "$tmp/f.bin" --float \
    "$tmp/re.bin" > /dev/null
grep -q "unanimous=1 arithmetic=float32" <("$REKAP" digits eval "$tmp/img" "$tmp/lab" \
    --model "$tmp/f.bin") || { echo "--float not recorded"; exit 1; }
for args in "--calibrate third" "--target 2" "--budget 1.5" "--budget 0.02 --max-reject 0.1" ""; do
    set +e
    # shellcheck disable=SC2086
    "$REKAP" digits ensemble --images "$imgs" --labels "$labs" --out "$tmp/x.bin" $args \
        $([[ -n "$args" ]] && echo "$tmp/re.bin") > /dev/null 2>&1
    rc=$?
    set -e
    [[ $rc == 2 ]] || { echo "ensemble usage error expected for '$args', got $rc"; exit 1; }
done
# two five-network files (ten networks) are too many; files smaller than the split are refused; nothing written
set +e
"$REKAP" digits ensemble --images "$imgs" --labels "$labs" --out "$tmp/x.bin" "$tmp/re.bin" \
    "$tmp/re.bin" > /dev/null 2> "$tmp/err"
rc1=$?
"$REKAP" digits ensemble --images "$tmp/img" --labels "$tmp/lab" --out "$tmp/x.bin" \
    "$tmp/re.bin" > /dev/null 2>&1
rc2=$?
set -e
[[ $rc1 == 1 && $rc2 == 1 && ! -e "$tmp/x.bin" ]] || { echo "ensemble: rc $rc1 $rc2"; exit 1; }
# a freshly trained single network is calibrated on its whole split: --unseen has nothing left
"$REKAP" digits train --images "$imgs" --labels "$labs" --out "$tmp/t.bin" --epochs 1 \
    --max-train 64 --threads 1 > /dev/null 2>&1
set +e
"$REKAP" digits eval "$imgs" "$labs" --unseen --model "$tmp/t.bin" > /dev/null 2> "$tmp/err"
rc=$?
set -e
[[ $rc == 1 ]] && grep -q "unseen" "$tmp/err" || { echo "--unseen on a whole-split model: $rc"; exit 1; }

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
