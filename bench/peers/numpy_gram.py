#!/usr/bin/env python3
"""The fastest honest numpy peer: dsire's algorithm in numpy float64 (Gram r×r, eigvalsh, Cholesky
core r×r, svd; QR for ill-conditioned factors). As a script it is the numpy user's `dsire features`:
one JSON line of spectra per file, imports included, for whole-process comparisons.

Usage: OMP_NUM_THREADS=1 python numpy_gram.py FILE...
"""
import json
import re
import sys

import numpy as np
from safetensors.numpy import load_file as np_load

LIMIT = 1e-2  # dsire's GRAM_CONDITION_LIMIT
PAIR = re.compile(r"(.+)\.(lora_down\.weight|lora_A\.weight|lora\.down\.weight)$")
UP = {"lora_down.weight": "lora_up.weight", "lora_A.weight": "lora_B.weight", "lora.down.weight": "lora.up.weight"}


def pairs(tensors):
    """(A r×k, B d×r, scale) per layer, in name order; tensors as loaded (any float dtype)."""
    out = []
    for k in sorted(tensors):
        m = PAIR.match(k)
        if m:
            a, b = tensors[k], tensors[m.group(1) + "." + UP[m.group(2)]]
            alpha = tensors.get(m.group(1) + ".alpha")
            scale = float(alpha) / a.shape[0] if alpha is not None else 1.0
            out.append((a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1), scale))
    return out


def numpy_gram(path):
    out = []
    for a, b, s in pairs(np_load(path)):
        a, b = a.astype(np.float64), b.astype(np.float64)
        ga, gb = a @ a.T, b.T @ b
        la, lb = np.linalg.eigvalsh(ga)[::-1], np.linalg.eigvalsh(gb)[::-1]
        sa, sb = np.sqrt(np.maximum(la, 0)), np.sqrt(np.maximum(lb, 0))
        if sa[-1] >= LIMIT * sa[0] and sb[-1] >= LIMIT * sb[0]:
            ca, cb = np.linalg.cholesky(ga), np.linalg.cholesky(gb)
            sba = abs(s) * np.linalg.svd(cb.T @ ca, compute_uv=False)
        else:
            ra, rb = np.linalg.qr(a.T, mode="r"), np.linalg.qr(b, mode="r")
            sa, sb = np.linalg.svd(ra, compute_uv=False), np.linalg.svd(rb, compute_uv=False)
            sba = abs(s) * np.linalg.svd(rb @ ra.T, compute_uv=False)
        out.append((sa, sb, sba))
    return out



if __name__ == "__main__":
    for f in sys.argv[1:]:
        layers = numpy_gram(f)
        print(json.dumps({"path": f, "layers": [[x.tolist() for x in l] for l in layers]}))
