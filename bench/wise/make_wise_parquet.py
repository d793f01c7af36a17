#!/usr/bin/env python3
"""Write a Parquet file in exactly the LoRA-WiSE schema from labelled safetensors adapters.

LoRA-WiSE (Salama et al. 2024, huggingface.co/datasets/MoSalama98/LoRA-WiSE) stores one adapter per
row: `label` (int64, the number of fine-tuning images), `name` (int64, the micro-dataset) and one
column per factor named `unet.<module>.lora.down.weight` / `.lora.up.weight`, holding the matrix
flattened row-major as a list of float64 (down is r x in, up is out x r). There is no alpha.

Input is a dsire manifest (path,group,size) of kohya or PEFT adapters. Groups become int64 names:
a group that is a number keeps it, others are numbered in sorted order (the zoo's g00-... -> 0).
Values are widened to float64 exactly; factors are written as stored (alpha is not folded in, as
LoRA-WiSE has none), so sigma(A) and sigma(B) are the originals'.

    pip install -r bench/wise/requirements.txt
    python bench/wise/make_wise_parquet.py examples/zoo-low/manifest.csv --groups 6 \
        --out src/test/resources/wise/low_8/zoo-low.parquet
"""
import argparse
import csv
import os
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from safetensors.numpy import load_file

KOHYA = re.compile(r"^lora_unet_(.+)\.(lora_down|lora_up)\.weight$")
PEFT = re.compile(r"^(?:base_model\.model\.)?(?:unet\.)?(.+)\.lora_([AB])(?:\.default)?\.weight$")
# kohya flattens module paths with underscores; these put the dots back for diffusers-style names
NUMBER = re.compile(r"_(\d+)(?=_|$)")
LEAF = re.compile(r"_(attn\d|to_q|to_k|to_v|to_out|proj_in|proj_out|ff|net|conv\d?|conv_shortcut|time_emb_proj)(?=\.|_|$)")


def diffusers_module(kohya_module):
    """transformer_blocks_0_attn1_to_out_0 -> transformer_blocks.0.attn1.to_out.0 (checked to round-trip)."""
    m = NUMBER.sub(r".\1", kohya_module)
    m = LEAF.sub(r".\1", m)
    if m.replace(".", "_") != kohya_module:
        raise ValueError(f"cannot restore the dots of {kohya_module}")
    return m


def columns_of(path):
    """{column name: float64 row-major values} of one adapter's UNet factors."""
    out = {}
    for key, t in load_file(path).items():
        m = KOHYA.match(key)
        if m:
            part = "down" if m.group(2) == "lora_down" else "up"
            module = diffusers_module(m.group(1))
        else:
            m = PEFT.match(key)
            if not m:
                continue  # alphas, text encoder extras
            part = "down" if m.group(2) == "A" else "up"
            module = m.group(1)
        # row-major: down r x (in*kh*kw), up out x r, as LoRA-WiSE flattens them
        out[f"unet.{module}.lora.{part}.weight"] = t.astype(np.float64).reshape(-1)
    return dict(sorted(out.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest", help="CSV path,group,size (paths relative to it)")
    ap.add_argument("--out", required=True, help="Parquet file to write")
    ap.add_argument("--groups", type=int, help="keep only the first N groups (sorted), to keep test files small")
    ap.add_argument("--compression", default="zstd", help="snappy, zstd, gzip or none (default zstd)")
    ap.add_argument("--row-group-size", type=int, default=16, help="rows per row group (default 16)")
    args = ap.parse_args()

    base = os.path.dirname(os.path.abspath(args.manifest))
    with open(args.manifest, newline="") as f:
        rows = list(csv.DictReader(f))
    groups = sorted({r["group"] for r in rows})
    if args.groups:
        groups = groups[: args.groups]
    numbered = all(g.lstrip("-").isdigit() for g in groups)
    group_id = {g: (int(g) if numbered else i) for i, g in enumerate(sorted({r["group"] for r in rows}))}
    rows = [r for r in rows if r["group"] in groups]

    labels, names, data = [], [], {}
    for r in rows:
        cols = columns_of(os.path.join(base, r["path"]))
        if data and set(cols) != set(data):
            raise SystemExit(f"{r['path']}: its layers differ from the other adapters'")
        for k, v in cols.items():
            data.setdefault(k, []).append(v)
        labels.append(int(r["size"]))
        names.append(group_id[r["group"]])

    table = {"label": pa.array(labels, pa.int64()), "name": pa.array(names, pa.int64())}
    for k, vs in data.items():
        offsets = np.concatenate([[0], np.cumsum([len(v) for v in vs])]).astype(np.int32)
        table[k] = pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(vs), pa.float64()))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    pq.write_table(pa.table(table), args.out, compression=args.compression, row_group_size=args.row_group_size)
    print(f"{args.out}: {len(labels)} rows, {len(groups)} groups, {len(data)} tensor columns, "
          f"{os.path.getsize(args.out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
