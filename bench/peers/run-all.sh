#!/usr/bin/env bash
# dsire and every Python peer on the same adapter files, one core each, in one run, one table.
# Usage: bench/peers/run-all.sh [FILES=8] [FAMILY=sd15|sdxl] [REPEATS=3] [ROUNDS=3]
# dsire and the two fastest peers (numpy-gram, torch-f64) run in ROUNDS interleaved rounds, so a slow
# minute on a shared host slows both sides of a ratio: each ratio is taken within a round, and the
# table gives the median over rounds (and the lowest). The slow peers run once, after the rounds.
# dsire times 5×REPEATS passes per round (its passes are short: fewer made the 2-thread row swing by ±25 %).
# Python: $PYTHON (default /work/venv/bin/python, else python3) with bench/peers/requirements.txt.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for the peers: a forced older kernel makes numpy slower
# than a user's install; the kernel OpenBLAS actually runs is printed with the table.
# An AVX2 machine on an AVX-512 one: DSIRE_JAVA_OPTS=-XX:UseAVX=2 (256-bit vectors, 16 registers) and
# PEERS_CORETYPE=Haswell (OpenBLAS's AVX2 kernels, what it runs on an AVX2-only CPU).
# SLOW_PEERS=0 skips the single pass of the slow peers (numpy-qr, torch-f32, official).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-8}; family=${2:-sd15}; repeats=${3:-3}; rounds=${4:-3}
py=${PYTHON:-/work/venv/bin/python}; [ -x "$py" ] || py=python3
dir=${DSIRE_PEERS_DIR:-/tmp/dsire-peers-$family-$n}
mkdir -p "$dir"
# a folder left half-written (an interrupted run) would silently shrink the batch: start it again
[ "$(find "$dir" -maxdepth 1 -name '*.safetensors' | wc -l)" = "$n" ] || rm -f "$dir"/*.safetensors
out=${DSIRE_PEERS_OUT:-$dir}
peers() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${PEERS_CORETYPE:+OPENBLAS_CORETYPE=$PEERS_CORETYPE} OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$py" "$here/bench/peers/peers.py" --repeats "$repeats" "$@" "$dir"/*.safetensors
}
steal=$("$here/bench/cpu-steal.sh" read)
for ((r = 0; r < rounds; r++)); do
  "$here/dsire" bench --dir "$dir" --files "$n" --family "$family" --threads 2 --repeats "$((repeats * 5))" \
    > "$out/dsire-bench.$r.txt" 2>/dev/null
  [ "$r" = 0 ] && head -1 "$out/dsire-bench.0.txt"
  peers --only numpy-gram,torch-f64 > "$out/peers.$r.jsonl"
done
if [ "${SLOW_PEERS:-1}" = 1 ]; then peers --only numpy-qr,torch-f32,official > "$out/peers.slow.jsonl"; else peers --only numpy-gram --repeats 1 | { head -1; cat >/dev/null; } > "$out/peers.slow.jsonl"; fi
"$py" - "$n" "$out" "$rounds" <<'PY'
import json, statistics, sys
n, out, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
med = statistics.median
def jsonl(path):
    return [json.loads(l) for l in open(path).read().splitlines() if l.strip()]
one, one_cpu, two, fast = [], [], [], []
for r in range(rounds):
    rows = [l.split() for l in open(f"{out}/dsire-bench.{r}.txt").read().splitlines() if l.startswith("cpu (")]
    one.append(float(rows[0][3]) / n * 1e3)
    one_cpu.append(float(rows[0][7]))
    two.append(float(rows[1][3]) / n * 1e3 if len(rows) > 1 else None)
    fast.append({p["peer"]: p for p in jsonl(f"{out}/peers.{r}.jsonl")[1:]})
slow = jsonl(f"{out}/peers.slow.jsonl")
info = slow[0]
print(f"numpy {info['numpy']} ({info['blas']}), torch {info['torch']}, {n} files, one core unless said; "
      f"dsire, numpy-gram and torch-f64: medians of {rounds} interleaved rounds, ratios taken within each round")
print("| implementation | wall ms/model | CPU ms/model | dsire (1 thread) is, wall | is, CPU | max abs(Δσ)/σ_max vs numpy-gram |")
print("|---|---|---|---|---|---|")
print(f"| dsire, 1 thread (read + decode + spectra + 1-NN vote) | {med(one):.1f} | {med(one_cpu):.1f} | — | — | see agreement line |")
if all(two):
    scale = [o / t for o, t in zip(one, two)]
    print(f"| dsire, 2 threads | {med(two):.1f} | | {med(scale):.2f}× the 1-thread rate (lowest round {min(scale):.2f}×) | | |")
for name in fast[0]:
    ps = [f[name] for f in fast]
    wall = [p["ms_per_model"] / o for p, o in zip(ps, one)]
    cpu = [p["cpu_ms_per_model"] / c for p, c in zip(ps, one_cpu)]
    print(f"| {name} (load + spectra) | {med(p['ms_per_model'] for p in ps):.1f} | {med(p['cpu_ms_per_model'] for p in ps):.1f} "
          f"| {med(wall):.2f}× faster (lowest round {min(wall):.2f}×) | {med(cpu):.2f}× (lowest {min(cpu):.2f}×) "
          f"| {max(p['max_rel_dev'] for p in ps):.1e} |")
for p in slow[1:]:
    label = p['peer'] + " (load + spectra" + (f", {p['files']} files" if p['files'] != n else "") + ", one pass)"
    print(f"| {label} | {p['ms_per_model']:.1f} | {p['cpu_ms_per_model']:.1f} | {p['ms_per_model'] / med(one):.2f}× faster "
          f"| {p['cpu_ms_per_model'] / med(one_cpu):.2f}× | {p['max_rel_dev']:.1e} |")
PY
grep -ih agreement "$out"/dsire-bench.*.txt | sort | uniq -c | sed 's/^ *\([0-9]*\) /\1 rounds: /' || true
"$here/bench/cpu-steal.sh" since "$steal"
