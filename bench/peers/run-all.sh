#!/usr/bin/env bash
# dsire and every Python peer on the same adapter files, one core each, in one run, one table.
# Usage: bench/peers/run-all.sh [FILES=8] [FAMILY=sd15|sdxl] [REPEATS=3]
# dsire times 5×REPEATS passes (its passes are short: fewer made the 2-thread row swing by ±25 %).
# Python: $PYTHON (default /work/venv/bin/python, else python3) with bench/peers/requirements.txt.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for the peers: a forced older kernel makes numpy slower
# than a user's install; the kernel OpenBLAS actually runs is printed with the table.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-8}; family=${2:-sd15}; repeats=${3:-3}
py=${PYTHON:-/work/venv/bin/python}; [ -x "$py" ] || py=python3
dir=${DSIRE_PEERS_DIR:-/tmp/dsire-peers-$family-$n}
mkdir -p "$dir"
# a folder left half-written (an interrupted run) would silently shrink the batch: start it again
[ "$(find "$dir" -maxdepth 1 -name '*.safetensors' | wc -l)" = "$n" ] || rm -f "$dir"/*.safetensors
out=${DSIRE_PEERS_OUT:-$dir}
steal=$("$here/bench/cpu-steal.sh" read)
bench=$("$here/dsire" bench --dir "$dir" --files "$n" --family "$family" --threads 2 --repeats "$((repeats * 5))" 2>/dev/null)
echo "$bench" > "$out/dsire-bench.txt"
echo "$bench" | head -1
peers=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  "$py" "$here/bench/peers/peers.py" --repeats "$repeats" "$dir"/*.safetensors)
echo "$peers" > "$out/peers.jsonl"
"$py" - "$n" "$out" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
bench = open(out + "/dsire-bench.txt").read().splitlines()
rows = [l.split() for l in bench if l.startswith("cpu (")]
one, one_cpu = float(rows[0][3]) / n * 1e3, float(rows[0][7])
two = float(rows[1][3]) / n * 1e3 if len(rows) > 1 else None
peers = [json.loads(l) for l in open(out + "/peers.jsonl").read().splitlines() if l.strip()]
info = peers[0]
print(f"numpy {info['numpy']} ({info['blas']}), torch {info['torch']}, {n} files, one core unless said")
print("| implementation | wall ms/model | CPU ms/model | dsire (1 thread) is, wall | is, CPU | max abs(Δσ)/σ_max vs numpy-gram |")
print("|---|---|---|---|---|---|")
print(f"| dsire, 1 thread (read + decode + spectra + 1-NN vote) | {one:.1f} | {one_cpu:.1f} | — | — | see agreement line |")
if two:
    print(f"| dsire, 2 threads | {two:.1f} | | {one / two:.2f}× the 1-thread rate | | |")
for p in peers[1:]:
    label = p['peer'] + " (load + spectra" + (f", {p['files']} files" if p['files'] != n else "") + ")"
    print(f"| {label} | {p['ms_per_model']:.1f} | {p['cpu_ms_per_model']:.1f} | {p['ms_per_model'] / one:.2f}× faster "
          f"| {p['cpu_ms_per_model'] / one_cpu:.2f}× | {p['max_rel_dev']:.1e} |")
PY
echo "$bench" | grep -i agreement || true
"$here/bench/cpu-steal.sh" since "$steal"
