#!/usr/bin/env python3
"""Peer (a): the official DSiRe approach on the same files: torch.svd_lowrank (randomized) of A, B
and of the explicitly formed B@A, per layer, in float32 as the official code runs it.

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/official.py FILE... [--repeat N]
"""
import sys, time
import numpy as np
import torch
import st


def spectra(layers):
    out = []
    for name, a, b, s in layers:
        r = a.shape[0]
        ta, tb = torch.from_numpy(a).float(), torch.from_numpy(b).float()
        sa = torch.svd_lowrank(ta, q=r)[1]
        sb = torch.svd_lowrank(tb, q=r)[1]
        sba = torch.svd_lowrank(s * (tb @ ta), q=r)[1]
        out.append((sa, sb, sba))
    return out


def main():
    torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "1")))
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    files = [a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()]
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
    print(f"official (svd_lowrank): load {np.median(load_ms):.1f} ms/model, spectra {np.median(spec_ms):.1f} ms/model "
          f"({len(files)} files x {repeat})")


if __name__ == "__main__":
    main()
