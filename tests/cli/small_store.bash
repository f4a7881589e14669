# Shared by tests/cli/*.sh: a scratch dir, fail/expect_fail helpers, and a small store (Aceh,
# Kepulauan Riau; a kabupaten, a kota, a province and a kolom-kosong race) in $db. Sourced.
set -euo pipefail
: "${REKAP:?REKAP must point at the rekap binary}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
db="$dir/t.db"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_fail CODE NEEDLE -- command...: exit status CODE and NEEDLE on stderr.
expect_fail() {
    local code=$1 needle=$2
    shift 3
    set +e
    "$@" >out.txt 2>err.txt
    local rc=$?
    set -e
    [ "$rc" = "$code" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $code"; }
    grep -q -- "$needle" err.txt || { cat err.txt >&2; fail "'$*': no '$needle' in stderr"; }
}

cat >wilayah.csv <<'EOF'
kode,nama
11,ACEH
11.01,KAB. ACEH SELATAN
11.01.01,Bakongan
11.01.01.2001,Keude Bakongan
11.71,KOTA BANDA ACEH
11.71.01,Meuraxa
11.71.01.1001,Deah Glumpang
21,KEPULAUAN RIAU
21.01,KAB. BINTAN
21.01.01,Teluk Bintan
21.01.01.2001,Pengujan
EOF
cat >tps.txt <<'EOF'
1101012001003,210,225
1171011001001,150,160
2101012001001,100,101
EOF
cat >gub.json <<'EOF'
{"11": {"1": {"nama": "CALON SATU - WAKIL SATU", "warna": "#B67352", "nomor_urut": 1},
        "2": {"nama": "CALON DUA - WAKIL DUA", "warna": "#8CB9BD", "nomor_urut": 2},
        "3": {"nama": "CALON TIGA - WAKIL TIGA", "warna": "#C7B7A3", "nomor_urut": 3}}}
EOF
cat >kab.json <<'EOF'
{"1101": {"11": {"nama": "DARMANSAH, S.Pd., M.M. - SUDIRMAN", "warna": "#B67352", "nomor_urut": 1},
          "12": {"nama": "AMRAN, S.H. - AKMAL AH, S.Pd.", "warna": "#C7B7A3", "nomor_urut": 2}},
 "1171": {"21": {"nama": "WALI A - WAKIL A", "warna": "#B67352", "nomor_urut": 1},
          "22": {"nama": "WALI B - WAKIL B", "warna": "#8CB9BD", "nomor_urut": 2}},
 "2101": {"31": {"nama": "ROBY KURNIAWAN - DEBY MARYANTI", "warna": "#B67352", "nomor_urut": 1},
          "32": {"nama": "KOLOM KOSONG - ", "warna": "#8CB9BD", "nomor_urut": 2}}}
EOF
"$REKAP" import-regions --db "$db" wilayah.csv >/dev/null
"$REKAP" import-tps --db "$db" tps.txt >/dev/null
"$REKAP" import-candidates --db "$db" gub.json kab.json >/dev/null
