#!/usr/bin/env python3
"""The hub workflow's figures on a simulated dump, from `dsire export --format jsonl` and truth.csv.

  python3 bench/hub/measure.py DUMP/truth.csv rows.jsonl

Prints, for the files whose metadata was stripped on labelled layouts: the share given a
prediction, MAE against the truth and against the constant guess (the labelled sizes' median),
the share inside interval80; for the labelled files: declared_images right; for the unlabelled
layout: the share with status no_model.
"""
import csv
import json
import statistics
import sys


def main(truth_csv, rows_jsonl):
    truth = {r["path"]: r for r in csv.DictReader(open(truth_csv))}
    rows = {}
    for line in open(rows_jsonl):
        r = json.loads(line)
        if r["path"] in truth:
            rows.setdefault(r["path"], []).append(r)
    labelled_zoos = {t["zoo"] for t in truth.values() if t["labelled"] == "1"}
    labelled_sizes = [int(t["size"]) for t in truth.values() if t["labelled"] == "1"]
    constant = statistics.median(labelled_sizes)
    stripped = [p for p, t in truth.items() if t["labelled"] == "0" and t["zoo"] in labelled_zoos]
    unlabelled = [p for p, t in truth.items() if t["zoo"] not in labelled_zoos]
    labelled = [p for p, t in truth.items() if t["labelled"] == "1"]
    missing = [p for p in truth if p not in rows]
    answered = [p for p in stripped if any(r["prediction"] is not None for r in rows.get(p, []))]
    err, const_err, covered, with_iv = [], [], 0, 0
    for p in answered:
        r = next(r for r in rows[p] if r["prediction"] is not None)
        n = int(truth[p]["size"])
        err.append(abs(r["prediction"] - n))
        const_err.append(abs(constant - n))
        if r["interval80"] is not None:
            with_iv += 1
            covered += r["interval80"][0] <= n <= r["interval80"][1]
    declared_ok = sum(all(r["declared_images"] == int(truth[p]["size"]) for r in rows.get(p, [{"declared_images": None}])) for p in labelled)
    no_model = sum(all(r["status"] == "no_model" for r in rows.get(p, [{"status": None}])) for p in unlabelled)
    statuses = {}
    for p in stripped:
        for r in rows.get(p, []):
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    mae = statistics.mean(err) if err else float("nan")
    cmae = statistics.mean(const_err) if const_err else float("nan")
    print(f"files in truth.csv: {len(truth)} (rows missing: {len(missing)})")
    print(f"stripped files on labelled layouts: {len(stripped)}; given a prediction: {len(answered)} ({100 * len(answered) / max(1, len(stripped)):.1f}%)")
    print(f"  their statuses: {statuses}")
    print(f"  MAE {mae:.3f}; constant guess (median of labelled sizes = {constant}) MAE {cmae:.3f}; ratio {mae / cmae:.3f}")
    print(f"  interval80 coverage: {covered}/{with_iv} = {covered / max(1, with_iv):.3f}")
    print(f"labelled files with declared_images right: {declared_ok}/{len(labelled)}")
    print(f"unlabelled layout's files with status no_model: {no_model}/{len(unlabelled)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
