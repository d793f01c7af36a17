"""A minimal safetensors reader for the peer scripts (numpy only), and kohya/PEFT/diffusers pairing."""
import json, re, struct
import numpy as np

DT = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "BF16": None}


def load(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out, base = {}, 8 + n
    for k, v in header.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        raw = np.frombuffer(b[base + s:base + e], dtype=np.uint16 if v["dtype"] == "BF16" else DT[v["dtype"]])
        if v["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[k] = raw.reshape(v["shape"])
    return out


def layers(tensors):
    """(name, A, B, scale) per layer, A and B as float64 2-D arrays."""
    out = []
    for k in sorted(tensors):
        m = re.match(r"(.+)\.(lora_down\.weight|lora_A\.weight|lora\.down\.weight)$", k)
        if not m:
            continue
        base, kind = m.group(1), m.group(2)
        up = {"lora_down.weight": "lora_up.weight", "lora_A.weight": "lora_B.weight", "lora.down.weight": "lora.up.weight"}[kind]
        a = tensors[k].astype(np.float64)
        b = tensors[base + "." + up].astype(np.float64)
        a = a.reshape(a.shape[0], -1)
        b = b.reshape(b.shape[0], -1)
        alpha = tensors.get(base + ".alpha")
        scale = float(alpha) / a.shape[0] if alpha is not None else 1.0
        out.append((base, a, b, scale))
    return out


def predict_timed(spectra_fn, files):
    """The whole job as dsire bench times it: spectra of every file, fit on every second file
    (labels 1..4), 1-NN vote per (layer, kind) for every file. Returns (seconds, predictions)."""
    import time
    t0 = time.perf_counter()
    feats = [spectra_fn(layers(load(f))) for f in files]
    train = list(range(0, len(files), 2))
    labels = {i: 1 + i % 4 for i in train}
    preds = []
    for q in feats:
        votes = {}
        for v in range(len(q)):
            for kind in range(3):
                ref = np.stack([np.asarray(feats[i][v][kind], dtype=np.float64) for i in train])
                d = ((ref - np.asarray(q[v][kind], dtype=np.float64)) ** 2).sum(1)
                lab = labels[train[int(np.argmin(d))]]
                votes[lab] = votes.get(lab, 0) + 1
        preds.append(max(sorted(votes), key=lambda s: votes[s]))
    return time.perf_counter() - t0, preds


def time_main(label, spectra_fn, default_repeat):
    """Per-model load and spectra times (medians) of spectra_fn over the files on the command line."""
    import sys, time
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else default_repeat
    files = [a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()]
    load_ms, spec_ms = [], []
    for _ in range(repeat):
        for f in files:
            t0 = time.perf_counter()
            ls = layers(load(f))
            t1 = time.perf_counter()
            spectra_fn(ls)
            t2 = time.perf_counter()
            load_ms.append((t1 - t0) * 1e3)
            spec_ms.append((t2 - t1) * 1e3)
    print(f"{label}: load {np.median(load_ms):.1f} ms/model, spectra {np.median(spec_ms):.1f} ms/model "
          f"({len(files)} files x {repeat})")
