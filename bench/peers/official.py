#!/usr/bin/env python3
"""Peer (a): the official DSiRe approach on the same files: torch.svd_lowrank (randomized) of A, B
and of the explicitly formed B@A, per layer, in float32 as the official code runs it.

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/official.py FILE... [--repeat N]
"""
import os
import torch
import st

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))


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


if __name__ == "__main__":
    st.time_main("official (svd_lowrank)", spectra, 3)
