#!/usr/bin/env python3
"""Formats dsire eval --json output as markdown tables (stdlib only)."""
import json, os, sys

def pct(x):
    return "–" if x is None else f"{100 * x:.0f}"

def protocol(files):
    """One row per zoo: DSiRe and posterior, then pooled and pooled-recipe where they ran (ratios to DSiRe's MAE)."""
    ours = [k for k in ("pooled", "pooled-recipe") if all(k in {x["method"] for x in json.load(open(f))["methods"]} for f in files)]
    head = " | ".join(f"**{k}** MAE (× dsire)" for k in ours)
    print(f"| zoo | dsire MAE | posterior MAE | {head} | accuracy % dsire / {' / '.join(ours)} | coverage | flagged | "
          f"recall smallest dsire / {' / '.join(ours)} | recall largest dsire / {' / '.join(ours)} |")
    print("|---|---|---|" + "---|" * len(ours) + "---|---|---|---|---|")
    ratios = {k: [] for k in ours}
    for f in files:
        d = json.load(open(f)); m = {x["method"]: x for x in d["methods"]}; c = d["confusion"]
        ds, po = m["dsire"], m["posterior"]
        rd = c["dsire"]["recall"]
        lo, hi = min(rd, key=int), max(rd, key=int)
        cells = []
        for k in ours:
            r = m[k]["mae_mean"] / ds["mae_mean"]; ratios[k].append(r)
            cells.append(f"{m[k]['mae_mean']:.2f} ± {m[k]['mae_std']:.2f} ({r:.2f}×)")
        last = m[ours[-1]]
        name = os.path.basename(f)[:-5]
        acc = " / ".join(f"{m[k]['acc_mean']:.1f}" for k in ["dsire"] + ours)
        small = " / ".join(pct(c[k]["recall"][lo]) for k in ["dsire"] + ours)
        large = " / ".join(pct(c[k]["recall"][hi]) for k in ["dsire"] + ours)
        print(f"| {name} | {ds['mae_mean']:.2f} ± {ds['mae_std']:.2f} | {po['mae_mean']:.2f} | {' | '.join(cells)} | {acc} | "
              f"{last['coverage80_mean']:.2f} | {pct(last['ood_rate'])} % | {small} | {large} |")
    print()
    for k in ours:
        print(f"mean {k}/dsire MAE ratio: {sum(ratios[k]) / len(ratios[k]):.2f} over {len(ratios[k])} zoos")
    print(f"(coverage and flagged: {ours[-1]})\n")

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
