#!/usr/bin/env bash
# One file, whole process, in process (DSIRE_DAEMON=0): this checkout's launcher against another checkout's
# (a worktree of an older commit, built), interleaved round by round with the numpy script, medians printed.
# `features`, `predict` (with a model fitted on 24 files of the same shape) and `inspect` on one SD 1.5 r32
# fp16 file. Usage: bench/ab-one-file.sh OTHER_CHECKOUT [ROUNDS=8] [THREADS=2]
#   e.g. git worktree add /tmp/before COMMIT && (cd /tmp/before && ./mvnw -q -DskipTests package) &&
#        ln -s "$PWD/examples/zoo-low" /tmp/before/examples/zoo-low; bench/ab-one-file.sh /tmp/before
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
other=$(cd "${1:?usage: bench/ab-one-file.sh OTHER_CHECKOUT [ROUNDS] [THREADS]}" && pwd)
rounds=${2:-8}; threads=${3:-2}
py=${PYTHON:-/work/venv/bin/python}; [ -x "$py" ] || py=python3
gen=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15}
mkdir -p "$gen-1" "$gen-24"
[ -n "$(find "$gen-1" -maxdepth 1 -name '*.safetensors' -print -quit)" ] ||
  DSIRE_DAEMON=0 "$here/dsire" bench --dir "$gen-1" --files 1 --threads 1 --repeats 1 >/dev/null 2>&1
[ "$(find "$gen-24" -maxdepth 1 -name '*.safetensors' | wc -l)" = 24 ] ||
  { rm -f "$gen-24"/*.safetensors; DSIRE_DAEMON=0 "$here/dsire" bench --dir "$gen-24" --files 24 --threads 1 --repeats 1 >/dev/null 2>&1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fitfiles=("$gen-24"/*.safetensors)
{ echo "path,group,size"; for ((i = 0; i < 24; i++)); do echo "${fitfiles[$i]},g$((i % 6)),$((1 + i % 4))"; done; } > "$work/manifest.csv"
DSIRE_DAEMON=0 "$here/dsire" fit --manifest "$work/manifest.csv" --out "$work/model.json" >/dev/null 2>&1
f=$(find "$gen-1" -maxdepth 1 -name '*.safetensors' | head -1)
for l in "$here" "$other"; do DSIRE_DAEMON=0 "$l/dsire" inspect "$f" >/dev/null 2>&1; done # jars and start-up caches
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
declare -A t
for ((r = 0; r < rounds; r++)); do
  for side in this other; do
    l=$here; [ $side = other ] && l=$other
    t[$side.features]+=" $(secs env DSIRE_DAEMON=0 "$l/dsire" features --threads "$threads" "$f")"
    t[$side.predict]+=" $(secs env DSIRE_DAEMON=0 "$l/dsire" predict --threads "$threads" --model "$work/model.json" "$f")"
    t[$side.inspect]+=" $(secs env DSIRE_DAEMON=0 "$l/dsire" inspect "$f")"
  done
  t[numpy]+=" $(secs env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" "$here/bench/peers/numpy_gram.py" "$f")"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
np=$(echo "${t[numpy]}" | median)
echo "one file ($(basename "$f")), in process, $rounds interleaved rounds, medians, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "| command | $other s (× numpy) | $here s (× numpy) |"
echo "|---|---|---|"
for c in features predict inspect; do
  o=$(echo "${t[other.$c]}" | median); n=$(echo "${t[this.$c]}" | median)
  printf '| %s | %s (%.2f×) | %s (%.2f×) |\n' "$c" "$o" "$(echo "$o / $np" | bc -l)" "$n" "$(echo "$n / $np" | bc -l)"
done
echo "| numpy script | $np | |"
