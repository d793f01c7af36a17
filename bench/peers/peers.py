#!/usr/bin/env python3
"""The Python peers of dsire, load + exact spectra (σ of A, B and s·B·A per layer), one core.

Usage: peers.py [--repeats N] [--only NAME[,NAME]] [--official-files N] FILE...
Prints one line per peer: name, wall and CPU ms per model (medians of the repeats, after one warm pass), the
BLAS kernel numpy runs, and the largest deviation from the float64 Gram peer relative to σ_max.

  numpy-gram     numpy float64: Gram r×r, eigvalsh, Cholesky core r×r, svd; QR for ill-conditioned
                 factors (the same algorithm as dsire, the fastest honest numpy we know)
  numpy-qr       numpy float64: QR of Aᵀ and B, svd of R_A, R_B, R_B·R_Aᵀ
  torch-f64      torch float64, layers of one shape batched: Gram, eigvalsh, Cholesky, svdvals
  torch-f32      torch float32: QR + svdvals per layer (not exact to 1e-9: reported for speed)
  official       the DSiRe authors' approach: torch.svd_lowrank of A, B and the formed B@A, float32
"""
import json
import statistics
import sys
import time

import numpy as np
import torch
from safetensors.numpy import load_file as np_load
from numpy_gram import numpy_gram, pairs, LIMIT
from safetensors.torch import load_file as torch_load

torch.set_num_threads(1)


def numpy_qr(path):
    out = []
    for a, b, s in pairs(np_load(path)):
        ra = np.linalg.qr(a.astype(np.float64).T, mode="r")
        rb = np.linalg.qr(b.astype(np.float64), mode="r")
        out.append((np.linalg.svd(ra, compute_uv=False), np.linalg.svd(rb, compute_uv=False),
                    abs(s) * np.linalg.svd(rb @ ra.T, compute_uv=False)))
    return out


def torch_f64(path):
    ls = pairs(torch_load(path))
    groups = {}
    for i, (a, b, s) in enumerate(ls):
        groups.setdefault((tuple(a.shape), tuple(b.shape)), []).append(i)
    out = [None] * len(ls)
    for idx in groups.values():
        a = torch.stack([ls[i][0] for i in idx]).double()
        b = torch.stack([ls[i][1] for i in idx]).double()
        s = torch.tensor([abs(ls[i][2]) for i in idx], dtype=torch.float64)
        ga, gb = a @ a.transpose(1, 2), b.transpose(1, 2) @ b
        sa = torch.linalg.eigvalsh(ga).flip(-1).clamp_min(0).sqrt()
        sb = torch.linalg.eigvalsh(gb).flip(-1).clamp_min(0).sqrt()
        ok = (sa[:, -1] >= LIMIT * sa[:, 0]) & (sb[:, -1] >= LIMIT * sb[:, 0])
        ca, _ = torch.linalg.cholesky_ex(ga)
        cb, _ = torch.linalg.cholesky_ex(gb)
        sba = torch.linalg.svdvals(cb.transpose(1, 2) @ ca) * s[:, None]
        for j, i in enumerate(idx):
            if bool(ok[j]):
                out[i] = (sa[j].numpy(), sb[j].numpy(), sba[j].numpy())
            else:  # ill-conditioned: QR, like the others
                ra, rb = torch.linalg.qr(a[j].T, mode="r")[1], torch.linalg.qr(b[j], mode="r")[1]
                out[i] = (torch.linalg.svdvals(ra).numpy(), torch.linalg.svdvals(rb).numpy(),
                          (s[j] * torch.linalg.svdvals(rb @ ra.T)).numpy())
    return out


def torch_f32(path):
    out = []
    for a, b, s in pairs(torch_load(path)):
        ra = torch.linalg.qr(a.float().T, mode="r")[1]
        rb = torch.linalg.qr(b.float(), mode="r")[1]
        out.append((torch.linalg.svdvals(ra).numpy(), torch.linalg.svdvals(rb).numpy(),
                    (abs(s) * torch.linalg.svdvals(rb @ ra.T)).numpy()))
    return out


def official(path):
    out = []
    for a, b, s in pairs(torch_load(path)):
        a, b = a.float(), b.float()
        r = a.shape[0]
        out.append((torch.svd_lowrank(a, q=r)[1].numpy(), torch.svd_lowrank(b, q=r)[1].numpy(),
                    torch.svd_lowrank(s * (b @ a), q=r)[1].numpy()))
    return out


PEERS = {"numpy-gram": numpy_gram, "numpy-qr": numpy_qr, "torch-f64": torch_f64, "torch-f32": torch_f32, "official": official}


def deviation(x, ref):
    worst = 0.0
    for lx, lr in zip(x, ref):
        for u, v in zip(lx, lr):
            u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
            worst = max(worst, float(np.max(np.abs(u - v))) / max(float(v[0]), 1e-300))
    return worst


def blas():
    try:
        from threadpoolctl import threadpool_info
        for i in threadpool_info():
            if i.get("user_api") == "blas" and "numpy" in i.get("filepath", ""):
                return f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
    except ImportError:
        pass
    return "unknown (pip install threadpoolctl)"


def main(argv):
    repeats, only, official_files, files = 3, list(PEERS), 2, []
    it = iter(argv)
    for a in it:
        if a == "--repeats":
            repeats = int(next(it))
        elif a == "--only":
            only = next(it).split(",")
        elif a == "--official-files":
            official_files = int(next(it))
        else:
            files.append(a)
    ref = [numpy_gram(f) for f in files]
    print(json.dumps({"blas": blas(), "numpy": np.__version__, "torch": torch.__version__, "files": len(files)}))
    for name in only:
        fn = PEERS[name]
        fs = files[:official_files] if name == "official" else files
        got = [fn(f) for f in fs]  # warm pass, also the accuracy check
        times, cpu = [], []
        for _ in range(1 if name == "official" else repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            for f in fs:
                fn(f)
            times.append((time.perf_counter() - t0) / len(fs))
            cpu.append((time.process_time() - c0) / len(fs))
        dev = max(deviation(g, r) for g, r in zip(got, ref))
        print(json.dumps({"peer": name, "ms_per_model": statistics.median(times) * 1e3, "cpu_ms_per_model": statistics.median(cpu) * 1e3, "files": len(fs), "max_rel_dev": dev}))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
