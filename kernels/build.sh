#!/usr/bin/env bash
# Rebuilds dsire.ptx from dsire.cu with nvcc. The PTX is committed: the Java build needs no CUDA.
# compute_75 is the oldest target CUDA 13 accepts; the driver JIT-compiles it for newer GPUs (H100: sm_90).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nvcc=${NVCC:-/usr/local/cuda/bin/nvcc}
"$nvcc" -ptx -arch=compute_75 -O3 -o "$here/dsire.ptx" "$here/dsire.cu"
echo "wrote $here/dsire.ptx"
