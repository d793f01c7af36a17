#!/usr/bin/env python3
"""Builds a simulated hub dump from labelled zoos (no dependencies beyond Python 3).

Every adapter of the --labelled zoos becomes one upload of its own training run (a session id, or
an output name with an epoch suffix). A seeded half of the runs are stripped of every key that
states a size (ss_dataset_dirs, ss_datasets, ss_num_train_images, ss_training_comment), as
uploaders who train with --no_metadata or edit it away. Every adapter of the --unlabelled zoos is
stripped, so their layout has no label at all. The weights are copied byte for byte: only the
safetensors header changes.

Writes DUMP/uploader-XX/<file> and DUMP/truth.csv (path,size,labelled,zoo).

  python3 bench/hub/make_dump.py --out /tmp/dump --labelled examples/zoo-low examples/zoo-medium \
      --unlabelled examples/zoo-k4-low --seed 1
"""
import argparse
import csv
import json
import os
import random
import struct

SIZE_KEYS = ("ss_dataset_dirs", "ss_datasets", "ss_num_train_images", "ss_training_comment", "ss_reg_dataset_dirs")


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return header, data


def write(path, header, data):
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the data 8-byte aligned, as safetensors writers do
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.write(data)


def manifest(zoo):
    with open(os.path.join(zoo, "manifest.csv")) as f:
        return [(os.path.join(zoo, r["path"]), r["group"], int(r["size"])) for r in csv.DictReader(f)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--labelled", nargs="+", required=True, help="zoos whose layout keeps metadata on half of the runs")
    ap.add_argument("--unlabelled", nargs="*", default=[], help="zoos stripped entirely: a layout nobody labelled")
    ap.add_argument("--strip", type=float, default=0.5, help="share of the labelled zoos' runs stripped")
    ap.add_argument("--uploaders", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for zoos, labelled in ((a.labelled, True), (a.unlabelled, False)):
        for zoo in zoos:
            entries = manifest(zoo)
            stripped = set(rng.sample(range(len(entries)), round(a.strip * len(entries)))) if labelled else set(range(len(entries)))
            for i, (src, group, size) in enumerate(entries):
                header, data = read(src)
                meta = dict(header.get("__metadata__", {}))
                keep = i not in stripped
                if not keep:
                    for k in SIZE_KEYS:
                        meta.pop(k, None)
                name = os.path.basename(zoo) + "-" + os.path.basename(src)
                # how the run is named varies by uploader, as on a hub
                if rng.random() < 0.5:
                    meta["ss_session_id"] = str(rng.getrandbits(31))
                else:
                    meta["ss_output_name"] = name[:-len(".safetensors")]
                    name = name[:-len(".safetensors")] + "-%06d.safetensors" % rng.randint(1, 20)
                header["__metadata__"] = meta
                folder = os.path.join(a.out, "uploader-%02d" % rng.randrange(a.uploaders))
                os.makedirs(folder, exist_ok=True)
                dst = os.path.join(folder, name)
                write(dst, header, data)
                rows.append((os.path.abspath(dst), size, int(keep), os.path.basename(zoo)))
    with open(os.path.join(a.out, "truth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "size", "labelled", "zoo"])
        w.writerows(sorted(rows))
    print(f"{len(rows)} files, {sum(r[2] for r in rows)} keep their size -> {a.out}")


if __name__ == "__main__":
    main()
