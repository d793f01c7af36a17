#!/usr/bin/env python3
"""A large Parquet file in the LoRA-WiSE schema, random values: for measuring read speed and memory.

Default: 40 rows of 16 MB (8 layers, down and up of 125,000 float64 each), one row group, snappy,
labels 1..40 and 8 groups -- one row group as large as a whole LoRA-WiSE shard's. Then:

    python bench/wise/make_big_parquet.py /tmp/big.parquet
    /usr/bin/time -f "%e s, peak RSS %M KB" java -Xmx1g --add-modules jdk.incubator.vector \
        --enable-native-access=ALL-UNNAMED -jar target/dsire.jar eval --wise /tmp/big.parquet \
        --rank 8 --train-groups 4 --repeats 2 --device cpu
"""
import argparse

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("out")
ap.add_argument("--rows", type=int, default=40)
ap.add_argument("--layers", type=int, default=8)
ap.add_argument("--values", type=int, default=125_000, help="float64 values per factor (a multiple of the rank)")
args = ap.parse_args()
rng = np.random.default_rng(0)
n = args.rows
cols = {"label": pa.array(np.arange(1, n + 1), pa.int64()), "name": pa.array(np.arange(n) // 5, pa.int64())}
for j in range(args.layers):
    for part in ("down", "up"):
        offsets = pa.array(np.arange(0, n * args.values + 1, args.values), pa.int32())
        cols[f"unet.blocks.{j}.attn1.to_q.lora.{part}.weight"] = pa.ListArray.from_arrays(offsets, pa.array(rng.standard_normal(n * args.values)))
pq.write_table(pa.table(cols), args.out, compression="snappy", row_group_size=n)
print(args.out, pq.ParquetFile(args.out).metadata.num_row_groups, "row group(s),", n, "rows")
