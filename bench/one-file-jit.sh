#!/usr/bin/env bash
# Where the launcher's one-small-file rule (C1 alone and the scalar kernels, up to 96 MiB; docs/command-line.md)
# comes from: `dsire features FILE` in process, whole process, on one generated fp16 kohya adapter of each
# shape, with both compilers (DSIRE_C1=0) and with C1 alone forced at every size, against the numpy script
# (bench/peers/numpy_gram.py, imports included). Runs interleaved; medians printed.
# Usage: bench/one-file-jit.sh [RUNS=5]   (shapes: sd15 r8, r32, r64, r128; sdxl r8, r16, r32, r64)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
py=${PYTHON:-/work/venv/bin/python}; [ -x "$py" ] || py=python3
root=${DSIRE_JIT_DIR:-/tmp/dsire-one-file}
shapes=("sd15 8" "sd15 32" "sd15 64" "sd15 128" "sdxl 8" "sdxl 16" "sdxl 32" "sdxl 64")
files=()
for s in "${shapes[@]}"; do
  set -- $s
  d=$root/$1-r$2
  mkdir -p "$d"
  [ -n "$(find "$d" -maxdepth 1 -name '*.safetensors' -print -quit)" ] ||
    DSIRE_DAEMON=0 "$here/dsire" bench --dir "$d" --files 1 --family "$1" --rank "$2" --threads 1 --repeats 1 >/dev/null 2>&1
  files+=("$(find "$d" -maxdepth 1 -name '*.safetensors' | head -1)")
done
DSIRE_DAEMON=0 "$here/dsire" inspect "${files[0]}" >/dev/null 2>&1 # builds the jar and the start-up cache if needed
t() { # seconds of one run of the command
  local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
echo "one file, whole process, in process (DSIRE_DAEMON=0), median of $runs interleaved runs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "| file | MiB | both compilers s | C1 alone s | numpy script s | the launcher picks |"
echo "|---|---|---|---|---|---|"
for f in "${files[@]}"; do
  both=(); c1=(); np=()
  for ((r = 0; r < runs; r++)); do
    both+=("$(t env DSIRE_DAEMON=0 DSIRE_C1=0 "$here/dsire" features "$f")")
    c1+=("$(t env DSIRE_DAEMON=0 DSIRE_C1=0 DSIRE_JAVA_OPTS="-XX:TieredStopAtLevel=1 -Ddsire.kernels=scalar" "$here/dsire" features "$f")")
    np+=("$(t env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" "$here/bench/peers/numpy_gram.py" "$f")")
  done
  mib=$(( $(stat -Lc %s "$f") >> 20 ))
  pick=both; [ "$(stat -Lc %s "$f")" -le $((96 << 20)) ] && pick="C1 alone"
  echo "| $(basename "$f" .safetensors) | $mib | $(printf '%s\n' "${both[@]}" | median) | $(printf '%s\n' "${c1[@]}" | median) | $(printf '%s\n' "${np[@]}" | median) | $pick |"
done
