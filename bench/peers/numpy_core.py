#!/usr/bin/env python3
"""Peer (b): dsire's r×r-core spectra in numpy float64 (LAPACK QR + SVD), on the same files.

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/numpy_core.py FILE... [--repeat N]
Prints per-model milliseconds for loading and for spectra (median over repeats).
"""
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


if __name__ == "__main__":
    st.time_main("numpy-core", spectra, 5)
