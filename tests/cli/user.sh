#!/usr/bin/env bash
# rekap user add/list/disable/enable/bulk/verify against a small store built from fixtures
# written here (no shared data needed).
set -u
REKAP=${REKAP:?REKAP must point at the rekap binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/rekap-user-XXXXXX")
trap 'rm -rf "$T"' EXIT
DB="$T/t.db"
fails=0
ok() { echo "ok   - $1"; }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
nusers() { "$REKAP" user list --db "$DB" "$@" | tail -n +2 | wc -l; }

cat > "$T/regions.csv" <<'EOF'
kode,nama
11,ACEH
11.01,KAB. ACEH SELATAN
11.01.01,Bakongan
11.01.01.2001,Keude Bakongan
11.01.01.2002,Ujong Mangki
11.01.02,Kluet Utara
11.01.02.2001,Fajar Harapan
12,SUMATERA UTARA
EOF
printf '%s\n' 1101012001001 1101012001002 1101012001003 1101012002001 1101022001001 \
    > "$T/tps.txt"
"$REKAP" import-regions --db "$DB" "$T/regions.csv" > /dev/null || { echo "import-regions failed"; exit 1; }
"$REKAP" import-tps --db "$DB" "$T/tps.txt" > /dev/null || { echo "import-tps failed"; exit 1; }

# --- add with a generated password ---
out=$("$REKAP" user add --db "$DB" --username admin --role kpu-ri --scope national)
check "add kpu-ri exits 0" "[ $? -eq 0 ]"
pw=$(printf '%s\n' "$out" | sed -n 's/^kata sandi \/ password: //p')
check "generated password printed (26 chars)" "[ \${#pw} -eq 26 ]"
check "generated password verifies" \
    "printf '%s\n' '$pw' | '$REKAP' user verify --db '$DB' admin > /dev/null"
check "wrong password does not verify" \
    "! printf 'x%s\n' '$pw' | '$REKAP' user verify --db '$DB' admin > /dev/null"

# --- add with a password on stdin ---
out=$(printf 'kata sandi panjang sekali\n' | "$REKAP" user add --db "$DB" --username ppk-bakongan \
    --role ppk --scope 11.01.01 --password-stdin)
check "add ppk with --password-stdin" "[ $? -eq 0 ]"
check "no password echoed for stdin" "! printf '%s' \"\$out\" | grep -q 'password:'"
check "stdin password verifies" \
    "printf 'kata sandi panjang sekali\n' | '$REKAP' user verify --db '$DB' ppk-bakongan > /dev/null"

# --- bad input: clear error, nothing created ---
before=$(nusers)
err=$(printf 'pendek\n' | "$REKAP" user add --db "$DB" --username pps-1 --role pps \
    --scope 1101012001 --password-stdin 2>&1)
check "short password refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'kata sandi harus'"
err=$("$REKAP" user add --db "$DB" --username x1x --role admin --scope 11 2>&1)
check "unknown role refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'unknown role'"
err=$("$REKAP" user add --db "$DB" --username pps-9 --role pps --scope 1101012009 2>&1)
check "unknown scope region refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'not found'"
err=$("$REKAP" user add --db "$DB" --username kpps-z --role kpps --scope 110101 2>&1)
check "role/scope level mismatch refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'polling station'"
err=$("$REKAP" user add --db "$DB" --username saksi-1 --role saksi --scope 1101 2>&1)
check "saksi without race refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'needs --race'"
err=$("$REKAP" user add --db "$DB" --username saksi-1 --role saksi --scope 1101 --race 99 2>&1)
check "saksi with unknown race refused" "[ $? -eq 1 ]"
# A governor race for province 11 (the first race of a fresh store gets id 1).
cat > "$T/pkwkp.json" <<'EOF'
{"11": {"1000001": {"nama": "CALON SATU - WAKIL SATU", "warna": "#B67352", "nomor_urut": 1},
        "1000002": {"nama": "CALON DUA - WAKIL DUA", "warna": "#8CB9BD", "nomor_urut": 2}}}
EOF
"$REKAP" import-candidates --db "$DB" "$T/pkwkp.json" > /dev/null || { echo "import-candidates failed"; exit 1; }
err=$("$REKAP" user add --db "$DB" --username saksi-2 --role saksi --scope 12 --race 1 2>&1)
check "saksi scoped outside its race's region refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'outside race'"
err=$("$REKAP" user add --db "$DB" --username admin --role kpu-ri --scope national 2>&1)
check "duplicate username refused" "[ $? -eq 1 ] && printf '%s' \"\$err\" | grep -q 'taken'"
err=$("$REKAP" user add --db "$DB" --username Admin2 --role kpu-ri --scope national 2>&1)
check "uppercase username refused" "[ $? -eq 1 ]"
"$REKAP" user add --db "$DB" --role kpu-ri 2> /dev/null
check "missing options is a usage error (2)" "[ $? -eq 2 ]"
check "failed adds created nothing" "[ $(nusers) -eq $before ]"
"$REKAP" user add --db "$DB" --username saksi-1 --role saksi --scope 1101 --race 1 > /dev/null
check "saksi of race 1 scoped to a kab/kota of province 11" \
    "[ $? -eq 0 ] && '$REKAP' user list --db '$DB' --scope 1101 | grep -qP '^saksi-1\tsaksi\t1101\t1\tactive\t'"

# --- bulk ---
"$REKAP" user bulk --db "$DB" --role kpps --region 11.01.01 --out "$T/kpps.csv" 2> "$T/bulk.err"
check "bulk kpps exits 0" "[ $? -eq 0 ]"
check "csv is mode 0600" "[ \"\$(stat -c %a '$T/kpps.csv')\" = 600 ]"
check "csv has header + 4 TPS of kecamatan 110101" "[ \$(wc -l < '$T/kpps.csv') -eq 5 ]"
check "csv header" "[ \"\$(head -1 '$T/kpps.csv')\" = username,password ]"
check "usernames are kpps-<tps>" "tail -n +2 '$T/kpps.csv' | cut -d, -f1 | \
    diff -q - <(printf 'kpps-%s\n' 1101012001001 1101012001002 1101012001003 1101012002001) > /dev/null"
check "passwords are 26 chars and distinct" "[ \$(tail -n +2 '$T/kpps.csv' | cut -d, -f2 | \
    grep -cE '^[0-9a-hjkmnp-tv-z]{26}\$') -eq 4 ] && \
    [ \$(tail -n +2 '$T/kpps.csv' | cut -d, -f2 | sort -u | wc -l) -eq 4 ]"
check "no password in the summary" "! grep -qF \"\$(sed -n 2p '$T/kpps.csv' | cut -d, -f2)\" '$T/bulk.err'"
line=$(sed -n 3p "$T/kpps.csv")
check "a bulk password verifies for its own account" \
    "printf '%s\n' '${line#*,}' | '$REKAP' user verify --db '$DB' '${line%%,*}' > /dev/null"
check "... and not for a neighbour" \
    "! printf '%s\n' '${line#*,}' | '$REKAP' user verify --db '$DB' kpps-1101012001001 > /dev/null"
check "kpps scope is its TPS" \
    "'$REKAP' user list --db '$DB' --scope 1101012001002 | grep -qP '^kpps-1101012001002\tkpps\t1101012001002\t'"

"$REKAP" user bulk --db "$DB" --role kpps --region 1101 --out "$T/kpps.csv" 2> /dev/null
check "bulk refuses to overwrite an existing file" "[ $? -eq 1 ] && [ \$(wc -l < '$T/kpps.csv') -eq 5 ]"
before=$(nusers)
"$REKAP" user bulk --db "$DB" --role kpps --region 1101 --out "$T/again.csv" 2> /dev/null
check "bulk over existing accounts fails whole" "[ $? -eq 1 ] && [ $(nusers) -eq $before ] && [ ! -e '$T/again.csv' ]"
check "no temp file left behind" "[ -z \"\$(ls '$T' | grep tmp-)\" ]"
"$REKAP" user bulk --db "$DB" --role kpps --region 1101 --skip-existing --out "$T/new.csv" 2> /dev/null
check "--skip-existing creates only the missing one" \
    "[ $? -eq 0 ] && [ \$(wc -l < '$T/new.csv') -eq 2 ] && grep -q '^kpps-1101022001001,' '$T/new.csv'"
"$REKAP" user bulk --db "$DB" --role pps --region 11 > "$T/pps.csv" 2> /dev/null
check "bulk pps to stdout: one per desa (3)" "[ $? -eq 0 ] && [ \$(tail -n +2 '$T/pps.csv' | wc -l) -eq 3 ]"
"$REKAP" user bulk --db "$DB" --role kpps --region 12 --out "$T/none.csv" 2> /dev/null
check "bulk over a region without TPS fails" "[ $? -eq 1 ] && [ ! -e '$T/none.csv' ]"
"$REKAP" user bulk --db "$DB" --role kpps --region 19 --out "$T/none.csv" 2> /dev/null
check "bulk over an unknown region fails" "[ $? -eq 1 ]"
"$REKAP" user bulk --db "$DB" --role saksi --region 11 2> /dev/null
check "bulk refuses roles without a fixed level" "[ $? -eq 1 ]"
"$REKAP" user bulk --db "$DB" --role pps --region 1101012001001 2> /dev/null
check "bulk refuses a region below the role's level" "[ $? -eq 1 ]"

# --- list, disable, enable ---
check "list --scope 1101012001 shows 3 kpps + 1 pps" "[ $(nusers --scope 1101012001) -eq 4 ]"
check "list --scope 110101 includes the ppk" "[ $(nusers --scope 110101) -eq 7 ]"
check "list --scope 1101: saksi, ppk, 3 pps, 5 kpps" "[ $(nusers --scope 1101) -eq 10 ]"
check "list never shows hashes" "! '$REKAP' user list --db '$DB' | grep -q argon2"
"$REKAP" user disable --db "$DB" ppk-bakongan > /dev/null
check "disable exits 0" "[ $? -eq 0 ]"
check "list shows disabled" "'$REKAP' user list --db '$DB' --scope 110101 | grep -qP '^ppk-bakongan\tppk\t110101\t0\tdisabled\t'"
check "disabled account does not verify" \
    "! printf 'kata sandi panjang sekali\n' | '$REKAP' user verify --db '$DB' ppk-bakongan > /dev/null"
"$REKAP" user enable --db "$DB" ppk-bakongan > /dev/null
check "enable restores it" \
    "printf 'kata sandi panjang sekali\n' | '$REKAP' user verify --db '$DB' ppk-bakongan > /dev/null"
"$REKAP" user disable --db "$DB" nobody 2> /dev/null
check "disable unknown user fails" "[ $? -eq 1 ]"
# --- every change above went into the transparency log, one entry each ---
nlog() { sqlite3 "$DB" "SELECT count(*) FROM log_entry"; }
nraces() { sqlite3 "$DB" "SELECT count(*) FROM race"; }
# the imported races' election_config entries, then accounts: admin + the ones added/bulked
# above (10 under 1101 + 1 elsewhere = nusers), then disable + enable of ppk-bakongan; the
# refused bulk and the failed disable logged nothing
check "one log entry per race and per account change ($(nraces) races + $(nusers) accounts + disable + enable)" \
    "[ $(nlog) -eq $(( $(nraces) + $(nusers) + 2 )) ] && [ $(nraces) -ge 1 ]"
n0=$(nlog)
"$REKAP" user disable --db "$DB" --actor 'bad actor' ppk-bakongan 2> /dev/null
check "an invalid --actor is a usage error and changes nothing" "[ $? -eq 2 ] && [ $(nlog) -eq $n0 ]"
"$REKAP" user disable --db "$DB" --actor kpu.operator-1 ppk-bakongan > /dev/null
check "--actor is who the log shows" "[ $? -eq 0 ] && [ $(nlog) -eq $((n0 + 1)) ]"
"$REKAP" user enable --db "$DB" ppk-bakongan > /dev/null
"$REKAP" user revoke-device --db "$DB" 0000000000000000 2> /dev/null
check "revoke-device of an unknown key fails and logs nothing" "[ $? -eq 1 ] && [ $(nlog) -eq $((n0 + 2)) ]"

# --- passwd: a new password, generated or from stdin; the old one stops working; logged ---
n1=$(nlog)
out=$("$REKAP" user passwd --db "$DB" ppk-bakongan)
check "passwd exits 0" "[ $? -eq 0 ]"
newpw=$(printf '%s\n' "$out" | sed -n 's/^kata sandi \/ password: //p')
check "passwd prints a generated password" "[ ${#newpw} -eq 26 ]"
check "the generated password verifies" \
    "printf '%s\n' '$newpw' | '$REKAP' user verify --db '$DB' ppk-bakongan > /dev/null"
check "the old password no longer does" \
    "! printf 'kata sandi panjang sekali\n' | '$REKAP' user verify --db '$DB' ppk-bakongan > /dev/null"
printf 'kata sandi baru sekali\n' | "$REKAP" user passwd --db "$DB" --password-stdin ppk-bakongan > /dev/null
check "passwd --password-stdin sets the given password" \
    "printf 'kata sandi baru sekali\n' | '$REKAP' user verify --db '$DB' ppk-bakongan > /dev/null"
err=$(printf 'short\n' | "$REKAP" user passwd --db "$DB" --password-stdin ppk-bakongan 2>&1 > /dev/null)
check "a password against the policy is refused" \
    "[ $? -eq 1 ] && printf '%s' '$err' | grep -q 'password must be .* bytes of printable text'"
err=$("$REKAP" user passwd --db "$DB" nobody 2>&1 > /dev/null)
check "passwd of an unknown user fails" \
    "[ $? -eq 1 ] && printf '%s' \"$err\" | grep -q \"no user 'nobody' / pengguna tidak ada\""
err=$("$REKAP" user passwd --db "$DB" 2>&1 > /dev/null)
check "passwd without a username is a usage error" \
    "[ $? -eq 2 ] && printf '%s' '$err' | grep -q '^usage: rekap user passwd'"
check "each password change is one log entry, refusals none" "[ $(nlog) -eq $((n1 + 2)) ]"
check "the log holds no password" \
    "[ \$(sqlite3 '$DB' \"SELECT count(*) FROM log_entry WHERE instr(entry, 'baru sekali') > 0 OR instr(entry, '$newpw') > 0\") -eq 0 ]"

"$REKAP" user list --db "$DB" --scope 11x 2> /dev/null
check "list with a bad scope fails" "[ $? -eq 1 ]"
"$REKAP" user frobnicate 2> /dev/null
check "unknown subcommand is a usage error" "[ $? -eq 2 ]"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
