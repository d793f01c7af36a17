#!/usr/bin/env python3
"""Formats dsire eval --json output as markdown tables (stdlib only)."""
import json, os, sys

def pct(x):
    return "–" if x is None else f"{100 * x:.0f}"

def protocol(files):
    print("| zoo | dsire MAE | posterior MAE | **pooled** MAE (× dsire) | accuracy % dsire / pooled | coverage pooled | flagged pooled | recall smallest dsire / pooled | recall largest dsire / pooled |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for f in files:
        d = json.load(open(f)); m = {x["method"]: x for x in d["methods"]}; c = d["confusion"]
        ds, po, pl = m["dsire"], m["posterior"], m["pooled"]
        r = pl["mae_mean"] / ds["mae_mean"]; ratios.append(r)
        rd, rp = c["dsire"]["recall"], c["pooled"]["recall"]
        lo, hi = min(rd, key=int), max(rd, key=int)
        name = os.path.basename(f)[:-5]
        print(f"| {name} | {ds['mae_mean']:.2f} ± {ds['mae_std']:.2f} | {po['mae_mean']:.2f} | {pl['mae_mean']:.2f} ± {pl['mae_std']:.2f} ({r:.2f}×) | "
              f"{ds['acc_mean']:.1f} / {pl['acc_mean']:.1f} | {pl['coverage80_mean']:.2f} | {pct(pl['ood_rate'])} % | "
              f"{pct(rd[lo])} / {pct(rp[lo])} | {pct(rd[hi])} / {pct(rp[hi])} |")
    print(f"\nmean pooled/dsire MAE ratio: {sum(ratios) / len(ratios):.2f} over {len(ratios)} zoos\n")

def transfer(files):
    print("| fit on → predict | method | MAE | accuracy % | coverage | ok: MAE (n) | flagged: MAE (n) | big errors flagged |")
    print("|---|---|---|---|---|---|---|---|")
    for f in files:
        d = json.load(open(f))
        name = os.path.basename(f)[len("transfer-"):-5].replace("--", " → ")
        for m in d["methods"]:
            ok = m["statuses"].get("ok", 0); fl = sum(v for k, v in m["statuses"].items() if k != "ok")
            okm = "–" if m["ok_mae"] is None else f"{m['ok_mae']:.2f}"
            flm = "–" if m["flagged_mae"] is None else f"{m['flagged_mae']:.2f}"
            big = f"{m['big_errors_flagged']} of {m['big_errors']}"
            cov = "–" if m["coverage80"] is None else f"{m['coverage80']:.2f}"
            print(f"| {name} | {m['method']} | {m['mae']:.2f} | {m['accuracy']:.1f} | {cov} | {okm} ({ok}) | {flm} ({fl}) | {big} |")

{"protocol": protocol, "transfer": transfer}[sys.argv[1]](sys.argv[2:])
