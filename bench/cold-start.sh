#!/usr/bin/env bash
# Whole-process times, the way people run a CLI: JVM start, class loading and JIT included.
# dsire features / predict / inspect with and without the AOT cache, dsire scan (with and without a
# model) against features, and the numpy user's equivalent script (bench/peers/numpy_gram.py,
# imports included), on the same SD1.5 r32 fp16 files that `dsire bench` generates.
# Runs are interleaved (A B C ... A B C ...) so drift on a shared machine hits every command alike;
# medians are printed. Usage: bench/cold-start.sh [FILES=24] [RUNS=5] [THREADS=2]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-24}; runs=${2:-5}; threads=${3:-2}
py=${PYTHON:-/work/venv/bin/python}; [ -x "$py" ] || py=python3
dir=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15-$n}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$dir"
# a folder left half-written (an interrupted run) would silently shrink the batch: start it again
[ "$(find "$dir" -maxdepth 1 -name '*.safetensors' | wc -l)" = "$n" ] || rm -f "$dir"/*.safetensors
"$here/dsire" bench --dir "$dir" --files "$n" --threads 1 --repeats 1 >/dev/null 2>&1   # generates the files once
files=("$dir"/*.safetensors)
{ echo "path,group,size"; i=0; for f in "${files[@]}"; do echo "$(basename "$f"),g$((i % 6)),$((1 + i % 4))"; i=$((i + 1)); done; } > "$dir/manifest.csv"
"$here/dsire" fit --manifest "$dir/manifest.csv" --out "$work/model.json" --threads "$threads" >/dev/null 2>&1
"$here/dsire" inspect "${files[0]}" >/dev/null 2>&1   # builds the jar and the AOT cache if needed
names=(); cmds=()
add() { names+=("$1"); cmds+=("$2"); }
q="${files[*]}"
for aot in 1 0; do
  tag=$([ $aot = 1 ] && echo "AOT cache" || echo "no AOT cache")
  add "dsire features, $tag" "DSIRE_AOT=$aot $here/dsire features --threads $threads $q"
  add "dsire predict, $tag" "DSIRE_AOT=$aot $here/dsire predict --threads $threads --model $work/model.json $q"
  add "dsire inspect, $tag" "DSIRE_AOT=$aot $here/dsire inspect $q"
done
add "dsire scan, AOT cache" "rm -f $work/s.db; $here/dsire scan --threads $threads --db $work/s.db $dir"
add "dsire scan --model, AOT cache" "rm -f $work/s.db; $here/dsire scan --threads $threads --db $work/s.db --model $work/model.json $dir"
add "numpy script (numpy_gram.py, imports included)" "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $py $here/bench/peers/numpy_gram.py $q"
declare -A t
steal=$("$here/bench/cpu-steal.sh" read)
for ((r = 0; r < runs; r++)); do
  for i in "${!cmds[@]}"; do
    s=$(date +%s%N); bash -c "${cmds[$i]}" >/dev/null 2>&1 || echo "run failed: ${names[$i]}" >&2; e=$(date +%s%N)
    t[$i]+="$(( (e - s) / 1000000 )) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
np=$(echo "${t[$((${#cmds[@]} - 1))]}" | median)
feat=$(echo "${t[0]}" | median)
echo "$n files, $threads threads, median of $runs interleaved runs, whole process"
echo "| command | median s | × numpy script | × dsire features (AOT) |"
echo "|---|---|---|---|"
for i in "${!cmds[@]}"; do
  m=$(echo "${t[$i]}" | median)
  awk -v name="${names[$i]}" -v m="$m" -v np="$np" -v f="$feat" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", name, m / 1000, m / np, m / f }'
done
"$here/bench/cpu-steal.sh" since "$steal"
