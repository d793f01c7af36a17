#!/usr/bin/env bash
# The Spark job in local[2] against `dsire scan --threads 2` on the same files, side by side in one
# run (alternating, best of ROUNDS each), CPU only; then per-file costs for SD 1.5 and SDXL adapters.
# Usage: bench/spark-bench.sh [SD15_FILES=48] [SDXL_FILES=12] [ROUNDS=2] [DIR=/tmp/dsire-spark-bench]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n15=${1:-48}; nxl=${2:-12}; rounds=${3:-2}; dir=${4:-/tmp/dsire-spark-bench}
for fam in sd15 sdxl; do
  want=$([ "$fam" = sd15 ] && echo "$n15" || echo "$nxl")
  mkdir -p "$dir/$fam"
  if [ "$(ls "$dir/$fam" | grep -c safetensors || true)" -lt "$want" ]; then
    "$here/dsire" bench --dir "$dir/$fam" --family "$fam" --files "$want" --repeats 1 --device cpu --threads 2 >/dev/null 2>&1
  fi
done
now() { date +%s.%N; }
rate() { sed -n "s/.*($1 files\/s.*/\1/p"; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared with other work: compare the columns, not the absolutes)"
for fam in sd15 sdxl; do
  files=$(ls "$dir/$fam"/*.safetensors | wc -l); mb=$(du -cb "$dir/$fam"/*.safetensors | tail -1 | awk '{printf "%.0f", $1/1e6}')
  cat "$dir/$fam"/*.safetensors >/dev/null
  for r in $(seq 1 "$rounds"); do
    rm -rf "$dir/scan.sqlite"* "$dir/out"
    t0=$(now); "$here/dsire" scan "$dir/$fam" --db "$dir/scan.sqlite" --threads 2 --device cpu 2>"$dir/local.err" >/dev/null; t1=$(now)
    t2=$(now); "$here/dsire-spark" scan --input "$dir/$fam" --out "$dir/out" --device cpu --master 'local[2]' --chunk 4096 >"$dir/spark.out" 2>"$dir/spark.err"; t3=$(now)
    l_in=$(sed -n 's/.*s (\([0-9.]*\) files\/s.*/\1/p' "$dir/local.err" | tail -1)
    s_in=$(sed -n 's/.* s (\([0-9.]*\) files\/s, session start excluded).*/\1/p' "$dir/spark.out" | tail -1)
    awk -v f="$files" -v mb="$mb" -v fam="$fam" -v r="$r" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v li="$l_in" -v si="$s_in" 'BEGIN {
      l = f / (b - a); s = f / (d - c);
      printf "%s round %d: %d files, %d MB | dsire scan: %.2f files/s whole process, %.2f scanning | dsire-spark local[2]: %.2f files/s whole process, %.2f in the job | spark/local %.2f whole, %.2f scanning\n",
        fam, r, f, mb, l, li, s, si, s / l, si / li }'
  done
done
