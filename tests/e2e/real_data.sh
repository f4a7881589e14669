#!/usr/bin/env bash
# End to end on the real reference data: the full Kemendagri region file, all 822,116 TPS codes
# of Pemilu 2024 and every Pilkada 2024 candidate pair. Counts per level are recomputed here
# from the raw files with awk/grep, independently of rekap, and compared with the store.
set -euo pipefail
D=${REKAP_SHARED_DATA:-}
W=$D/wilayah/wilayah_2025.csv.gz
T=$D/kpu/pemilu2024_tps_codes.txt.gz
P=$D/kpu/pilkada2024/paslon
if [ ! -r "$W" ] || [ ! -r "$T" ] || [ ! -r "$P/pkwkk.json" ]; then
  echo "skipped: reference data not found under '$D' (needs ../shared/data)"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
db=$tmp/real.db

# Independent expectations.
read -r e_prov e_kab e_kec e_desa < <(zcat "$W" | awk -F, 'NR>1{n[length($1)]++} END{print n[2]+0, n[4]+0, n[6]+0, n[10]+0}')
e_tps=$(zcat "$T" | grep -c .)
zcat "$W" | awk -F, 'NR>1 && length($1)==10{print $1}' | sort -u >"$tmp/desa"
zcat "$T" | cut -c1-10 | sort -u >"$tmp/tps_desa"
e_new_desa=$(comm -13 "$tmp/desa" "$tmp/tps_desa" | wc -l)
first_orphan=$(zcat "$T" | grep -n . | awk -F: 'NR==FNR{d[$1]=1; next} !f && !(substr($2,1,10) in d){f=$1} END{print f}' "$tmp/desa" -)

"$REKAP" import-regions --db "$db" "$W" >"$tmp/out"
got=$("$REKAP" stats --db "$db" | head -1)
echo "regions: $got"
[ "$got" = "provinces=$e_prov kabkota=$e_kab kecamatan=$e_kec desa=$e_desa tps=0 dpt=0 dpt_l=0 dpt_p=0" ]

# Strict mode refuses the file at the first TPS whose desa is unknown, and imports nothing.
if "$REKAP" import-tps --db "$db" "$T" 2>"$tmp/err"; then echo "strict import accepted orphans"; exit 1; fi
grep -q "pemilu2024_tps_codes.txt.gz:$first_orphan: parent of" "$tmp/err"
"$REKAP" stats --db "$db" | head -1 | grep -q " tps=0 "

start=$(date +%s.%N)
"$REKAP" import-tps --db "$db" --missing create "$T" | tee "$tmp/out"
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc 2>/dev/null || awk "BEGIN{print $end - $start}")
echo "import of $e_tps TPS took ${secs}s"
got=$("$REKAP" stats --db "$db" | head -1)
echo "after TPS: $got"
e_desa_all=$((e_desa + e_new_desa))
echo "$got" | grep -q "desa=$e_desa_all tps=$e_tps "
grep -q "village=$e_new_desa " "$tmp/out"
# Seconds, not minutes (generous bound: shared CI machines vary; bench/import.sh measures).
awk "BEGIN{exit !($secs < 60)}"

e_cand=$(cat "$P/pkwkp.json" "$P/pkwkk.json" | grep -c '"nomor_urut"')
e_races=$(cat "$P/pkwkp.json" "$P/pkwkk.json" | grep -cE '^    "[0-9]+": \{')
e_kk=$(cat "$P/pkwkp.json" "$P/pkwkk.json" | grep -c '"KOLOM KOSONG')
"$REKAP" import-candidates --db "$db" "$P/pkwkp.json" "$P/pkwkk.json"
"$REKAP" stats --db "$db" | grep -q "races=$e_races candidates=$e_cand single_candidate=$e_kk"
echo "ok: $e_races races, $e_cand candidate columns, $e_kk single-candidate races"
