#!/usr/bin/env bash
# Rebuilds dsire.fatbin and dsire.ptx from dsire.cu with nvcc 13. Both are committed: the Java build
# needs no CUDA. The fatbin carries SASS for sm_80 (A100; runs on all sm_8x) and sm_90 (H100/H200)
# plus compute_90 PTX for newer GPUs; the PTX is compute_75 (the oldest target CUDA 13 accepts),
# JIT-compiled by the driver for GPUs the fatbin does not cover (sm_75). CudaTest checks both are fresh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nvcc=${NVCC:-/usr/local/cuda/bin/nvcc}
"$nvcc" -ptx -arch=compute_75 -O3 -o "$here/dsire.ptx" "$here/dsire.cu"
"$nvcc" -fatbin -O3 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 -o "$here/dsire.fatbin" "$here/dsire.cu"
echo "wrote $here/dsire.ptx and $here/dsire.fatbin"
