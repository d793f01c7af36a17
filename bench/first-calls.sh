#!/usr/bin/env bash
# The first calls after no resident process, the way a person or a script makes them: for each design the
# resident process is stopped, then one SD 1.5 r32 file's `features` is called 4 times with GAP seconds between
# calls (0: a script's calls back to back; 1 and 3: a person's). Designs: the default (one small file answered on
# C1 alone, a resident process started behind it) and the hand-off (DSIRE_C1=0: the first call's JVM, with both
# compilers, stays on as the resident process). Interleaved rounds; prints each call's median (ms) per design and gap.
# Usage: bench/first-calls.sh [ROUNDS=6]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-6}
gen=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15}-1
mkdir -p "$gen"
"$here/dsire" bench --dir "$gen" --files 1 --threads 1 --repeats 1 >/dev/null 2>&1   # makes the file once
f=$(ls "$gen"/*.safetensors | head -1)
DSIRE_DAEMON=0 "$here/dsire" inspect "$f" >/dev/null 2>&1   # builds the jar and the AOT cache if needed
out=$(mktemp); trap 'rm -f "$out"; "$here/dsire" daemon stop >/dev/null 2>&1 || true' EXIT
echo "steal (hypervisor) before: $(awk '/^cpu /{print $9}' /proc/stat) jiffies; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < rounds; r++)); do
  for c1 in 1 0; do
    for gap in 0 1 3; do
      "$here/dsire" daemon stop >/dev/null 2>&1; sleep 1
      line="$c1 $gap"
      for call in 1 2 3 4; do
        s=$(date +%s%N); DSIRE_C1=$c1 "$here/dsire" features "$f" >/dev/null; e=$(date +%s%N)
        line+=" $(( (e - s) / 1000000 ))"; sleep "$gap"
      done
      echo "$line" >> "$out"
    done
  done
done
echo "steal (hypervisor) after: $(awk '/^cpu /{print $9}' /proc/stat) jiffies; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for c1 in 1 0; do
  for gap in 0 1 3; do
    line=$([ "$c1" = 1 ] && echo "default (C1 answer, resident started behind)" || echo "hand-off (DSIRE_C1=0)")", gap $gap s:"
    for col in 3 4 5 6; do
      vals=($(awk -v a="$c1" -v b="$gap" -v c="$col" '$1 == a && $2 == b {print $c}' "$out" | sort -n))
      n=${#vals[@]}; med=$(( n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2 ))
      line+=" call $((col - 2)) $med ms"
    done
    echo "$line"
  done
done
