#!/usr/bin/env bash
# Whole-process times, the way people run a CLI: every call a new `dsire` launcher, against the numpy
# user's equivalent script (bench/peers/numpy_gram.py, imports included), on SD 1.5 r32 fp16 files that
# `dsire bench` generates. Rows:
#   - resident process: the launcher's default; the resident dsire process (docs/daemon.md) is started and
#     warmed before the rounds, so each call pays the launcher, the small client and the work; the client
#     is the native one (native/dsire-client.c) where the machine has a C compiler, and the "Java client"
#     rows (DSIRE_NATIVE_CLIENT=0) pay for the small Java client instead;
#   - first call: stops the resident process first (untimed), so the call finds none: it runs in process
#     and that process stays on as the resident one;
#   - in process (DSIRE_DAEMON=0), with and without the AOT cache: a fresh JVM per call, JIT included;
#   - scan (in process, as always), with and without a model.
# Runs are interleaved (A B C ... A B C ...) so drift on a shared machine hits every command alike;
# medians are printed. Above 200 files the folder holds 200 distinct files, each linked more than once
# (1,000 distinct SD 1.5 files would be 12.7 GB; every file is still opened and computed).
# COLD_FULL=0 keeps the rows that matter for large batches (resident and in-process features and predict,
# the numpy script): the others take minutes each at 1,000 files.
# Usage: bench/cold-start.sh [FILES=24] [RUNS=5] [THREADS=2]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-24}; runs=${2:-5}; threads=${3:-2}
py=${PYTHON:-/work/venv/bin/python}; [ -x "$py" ] || py=python3
distinct=$(( n < 200 ? n : 200 ))
gen=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15}-$distinct
work=$(mktemp -d); trap 'rm -rf "$work"; "$here/dsire" daemon stop >/dev/null 2>&1 || true' EXIT
mkdir -p "$gen"
# a folder left half-written (an interrupted run) would silently shrink the batch: start it again
[ "$(find "$gen" -maxdepth 1 -name '*.safetensors' | wc -l)" = "$distinct" ] || rm -f "$gen"/*.safetensors
"$here/dsire" bench --dir "$gen" --files "$distinct" --threads 1 --repeats 1 >/dev/null 2>&1   # generates the files once
dir=$gen
if [ "$n" -gt "$distinct" ]; then
  dir=$work/files; mkdir "$dir"; src=("$gen"/*.safetensors)
  for ((i = 0; i < n; i++)); do ln "${src[$((i % distinct))]}" "$dir/$(printf 'f%05d' "$i").safetensors" 2>/dev/null ||
    ln -s "${src[$((i % distinct))]}" "$dir/$(printf 'f%05d' "$i").safetensors"; done
fi
files=("$dir"/*.safetensors)
# predict's model: fitted on 24 files of the same shape whatever the batch, so every row loads the same model
fitdir=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15}-24
if [ "$distinct" != 24 ]; then
  mkdir -p "$fitdir"; [ "$(find "$fitdir" -maxdepth 1 -name '*.safetensors' | wc -l)" = 24 ] || rm -f "$fitdir"/*.safetensors
  "$here/dsire" bench --dir "$fitdir" --files 24 --threads 1 --repeats 1 >/dev/null 2>&1
fi
fitfiles=("$fitdir"/*.safetensors)
{ echo "path,group,size"; for ((i = 0; i < 24; i++)); do echo "${fitfiles[$i]},g$((i % 6)),$((1 + i % 4))"; done; } > "$work/manifest.csv"
DSIRE_DAEMON=0 "$here/dsire" fit --manifest "$work/manifest.csv" --out "$work/model.json" --threads "$threads" >/dev/null 2>&1
DSIRE_DAEMON=0 "$here/dsire" inspect "${files[0]}" >/dev/null 2>&1   # builds the jar and the AOT cache if needed
names=(); cmds=(); pres=()
# NAME COMMAND [SETUP]: SETUP runs before each timed run of COMMAND, untimed
add() { names+=("$1"); cmds+=("$2"); pres+=("${3:-}"); }
q="${files[*]}"
warm="$here/dsire features --threads $threads ${files[0]} >/dev/null 2>&1; $here/dsire predict --threads $threads --model $work/model.json ${files[0]} >/dev/null 2>&1"
add "dsire features, resident process" "$here/dsire features --threads $threads $q"
add "dsire predict, resident process" "$here/dsire predict --threads $threads --model $work/model.json $q"
full=${COLD_FULL:-1}
[ "$full" = 1 ] && add "dsire inspect, resident process" "$here/dsire inspect $q"
if [ "$full" = 1 ] && { [ -x "$here/target/dsire-client" ] || command -v "${CC:-cc}" >/dev/null; }; then
  add "dsire features, resident process, Java client" "DSIRE_NATIVE_CLIENT=0 $here/dsire features --threads $threads $q"
  add "dsire predict, resident process, Java client" "DSIRE_NATIVE_CLIENT=0 $here/dsire predict --threads $threads --model $work/model.json $q"
  add "dsire inspect, resident process, Java client" "DSIRE_NATIVE_CLIENT=0 $here/dsire inspect $q"
fi
# the stop is untimed (it costs a Java client); the call answers in process, and then its JVM stays on, or, on
# one small file, a resident process is started behind it (docs/daemon.md)
[ "$full" = 1 ] && add "dsire features, first call (no resident process)" "$here/dsire features --threads $threads $q" "$here/dsire daemon stop"
for aot in 1 0; do
  [ "$full" = 1 ] || [ $aot = 1 ] || continue
  tag=$([ $aot = 1 ] && echo "AOT cache" || echo "no AOT cache")
  add "dsire features, in process, $tag" "DSIRE_DAEMON=0 DSIRE_AOT=$aot $here/dsire features --threads $threads $q"
  add "dsire predict, in process, $tag" "DSIRE_DAEMON=0 DSIRE_AOT=$aot $here/dsire predict --threads $threads --model $work/model.json $q"
  [ $aot = 1 ] && [ "$full" = 1 ] && add "dsire inspect, in process, $tag" "DSIRE_DAEMON=0 DSIRE_AOT=$aot $here/dsire inspect $q"
done
if [ "$full" = 1 ]; then
  add "dsire scan" "rm -f $work/s.db; $here/dsire scan --threads $threads --db $work/s.db $dir"
  add "dsire scan --model" "rm -f $work/s.db; $here/dsire scan --threads $threads --db $work/s.db --model $work/model.json $dir"
fi
add "numpy script (numpy_gram.py, imports included)" "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $py $here/bench/peers/numpy_gram.py $q"
declare -A t
# A resident process started by a call compiles its kernels' vector twins in the background for a few seconds
# (KernelWarmup.prime): wait until every JVM of ours is idle, so the next row does not share the cores with it.
settle() {
  local pids ticks last=-1 i
  for ((i = 0; i < 100; i++)); do
    pids=$(pgrep -f "$here/target/dsire.jar" || true)
    ticks=0
    for p in $pids; do ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
    [ "$ticks" -le $((last + 2)) ] && [ "$last" -ge 0 ] && return 0
    last=$ticks; sleep 0.3
  done
}
"$here/dsire" daemon start >/dev/null 2>&1; bash -c "$warm; $warm"; settle
steal=$("$here/bench/cpu-steal.sh" read)
for ((r = 0; r < runs; r++)); do
  for i in "${!cmds[@]}"; do
    [ -z "${pres[$i]}" ] || bash -c "${pres[$i]}" >/dev/null 2>&1
    s=$(date +%s%N); bash -c "${cmds[$i]}" >/dev/null 2>&1 || echo "run failed: ${names[$i]}" >&2; e=$(date +%s%N)
    t[$i]+="$(( (e - s) / 1000000 )) "
    # after the first-call row the resident process is fresh: warm it (untimed) as a user's earlier calls would
    case ${names[$i]} in *first\ call*) bash -c "$warm; $warm"; settle ;; esac
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
np=$(echo "${t[$((${#cmds[@]} - 1))]}" | median)
echo "$n files ($distinct distinct), $threads threads, median of $runs interleaved runs, whole process, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "| command | median s | × numpy script |"
echo "|---|---|---|"
for i in "${!cmds[@]}"; do
  m=$(echo "${t[$i]}" | median)
  awk -v name="${names[$i]}" -v m="$m" -v np="$np" 'BEGIN { printf "| %s | %.2f | %.2f |\n", name, m / 1000, m / np }'
done
"$here/bench/cpu-steal.sh" since "$steal"
