#!/usr/bin/env python3
"""Peer (b): dsire's r×r-core spectra in numpy float64 (LAPACK QR + SVD), on the same files.

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/numpy_core.py FILE... [--repeat N]
Prints per-model milliseconds for loading and for spectra (median over repeats).
"""
import sys, time
import numpy as np
import st


def spectra(layers):
    out = []
    for name, a, b, s in layers:
        ra = np.linalg.qr(a.T, mode="r")
        rb = np.linalg.qr(b, mode="r")
        out.append((np.linalg.svd(ra, compute_uv=False), np.linalg.svd(rb, compute_uv=False),
                    abs(s) * np.linalg.svd(rb @ ra.T, compute_uv=False)))
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    files = [a for a in args if not a.isdigit()]
    load_ms, spec_ms = [], []
    for _ in range(repeat):
        for f in files:
            t0 = time.perf_counter()
            ls = st.layers(st.load(f))
            t1 = time.perf_counter()
            spectra(ls)
            t2 = time.perf_counter()
            load_ms.append((t1 - t0) * 1e3)
            spec_ms.append((t2 - t1) * 1e3)
    print(f"numpy-core: load {np.median(load_ms):.1f} ms/model, spectra {np.median(spec_ms):.1f} ms/model "
          f"({len(files)} files x {repeat})")


if __name__ == "__main__":
    main()
