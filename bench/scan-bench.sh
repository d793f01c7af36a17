#!/usr/bin/env bash
# Scan throughput against the raw read rate of the same bytes (warm page cache).
# Usage: bench/scan-bench.sh [FILES] [DIR]   (default 40 SD1.5-shaped rank-32 fp16 adapters in /tmp/dsire-scan-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-40}
dir=${2:-/tmp/dsire-scan-bench}
mkdir -p "$dir/tree"
if [ "$(ls "$dir/tree" | wc -l)" -lt "$n" ]; then
  "$here/dsire" bench --dir "$dir/tree" --files "$n" --repeats 1 >/dev/null 2>&1
fi
bytes=$(du -cb "$dir"/tree/*.safetensors | tail -1 | cut -f1)
cat "$dir"/tree/*.safetensors > /dev/null   # warm the page cache
now() { date +%s.%N; }
best_cat=999999
for i in 1 2 3; do
  t0=$(now); cat "$dir"/tree/*.safetensors > /dev/null; t1=$(now)
  best_cat=$(echo "$t1 - $t0" | bc -l | awk -v b="$best_cat" '{print ($1 < b) ? $1 : b}')
done
best_scan=999999
for i in 1 2 3; do
  rm -f "$dir"/scan.sqlite*
  t0=$(now); "$here/dsire" scan "$dir/tree" --db "$dir/scan.sqlite" >/dev/null 2>&1; t1=$(now)
  best_scan=$(echo "$t1 - $t0" | bc -l | awk -v b="$best_scan" '{print ($1 < b) ? $1 : b}')
done
files=$(ls "$dir"/tree/*.safetensors | wc -l)
awk -v b="$bytes" -v c="$best_cat" -v s="$best_scan" -v f="$files" 'BEGIN {
  printf "files: %d, %.1f MB\n", f, b / 1e6;
  printf "cat (warm cache):   %8.1f MB/s\n", b / 1e6 / c;
  printf "dsire scan:         %8.1f MB/s, %.1f files/s (whole process, JVM start included)\n", b / 1e6 / s, f / s;
  printf "scan / cat:         %8.1f %%\n", 100 * c / s;
}'
