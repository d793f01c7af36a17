#!/usr/bin/env bash
# dsire against its Python peers on the same adapter files, in one run, one core each:
#   (a) the official DSiRe approach: torch.svd_lowrank of A, B and the explicit B@A, then 1-NN votes;
#   (b) a numpy float64 r×r-core implementation (LAPACK QR + SVD), then 1-NN votes.
# Usage: bench/peers/compare.sh [FILES] [DIR]     (Python: Debian's /usr/bin/python3 with python3-torch)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-8}
dir=${2:-/tmp/dsire-peers}
mkdir -p "$dir"
out=$("$here/dsire" bench --dir "$dir" --files "$n" --threads 1 --repeats 3 2>/dev/null)
echo "$out"
dsire_s=$(echo "$out" | awk '/^cpu \(1 thread\)/ {print $4}')
export OMP_NUM_THREADS=1
py() { /usr/bin/python3 - "$@" <<PY
import sys; sys.path.insert(0, "$here/bench/peers")
import glob, st, importlib
m = importlib.import_module(sys.argv[1])
files = sorted(glob.glob("$dir/*.safetensors"))
secs, preds = st.predict_timed(m.spectra, files)
print(f"{secs:.3f}")
PY
}
numpy_s=$(py numpy_core)
official_s=$(py official)
awk -v d="$dsire_s" -v n="$numpy_s" -v o="$official_s" -v f="$n" 'BEGIN {
  printf "\none core, %d adapters, spectra + 1-NN votes:\n", f;
  printf "  dsire            %8.3f s  (%6.1f models/s)\n", d, f / d;
  printf "  numpy r×r core   %8.3f s  (%6.1f models/s)  dsire is %.1fx faster\n", n, f / n, n / d;
  printf "  official DSiRe   %8.3f s  (%6.1f models/s)  dsire is %.1fx faster\n", o, f / o, o / d;
}'
