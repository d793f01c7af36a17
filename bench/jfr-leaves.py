#!/usr/bin/env python3
"""Where the time goes: leaf frames (self time) and dsire frames (inclusive) of a JFR recording.

Usage: bench/jfr-leaves.py /tmp/d.jfr [--after SECONDS] [--top N]
Runs `jfr print --events jdk.ExecutionSample` ($JAVA_HOME/bin/jfr, else jfr on the PATH). --after
drops the samples of the first SECONDS of the recording (JVM start and JIT warm-up: until C2 has
compiled them, Vector API kernels run interpreted, 100x slower, and their samples land in
jdk.incubator.vector frames). Lambdas and line numbers are folded into their method.
"""
import collections
import os
import re
import subprocess
import sys


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path, after, top = args[0], 0.0, 25
    if "--after" in args:
        after = float(args[args.index("--after") + 1])
    if "--top" in args:
        top = int(args[args.index("--top") + 1])
    jfr = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "jfr")
    jfr = jfr if os.path.exists(jfr) else "jfr"
    text = subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample", path],
                          capture_output=True, text=True, check=True).stdout
    samples = []
    for event in text.split("jdk.ExecutionSample")[1:]:
        t = re.search(r"startTime = (\d+):(\d+):([\d.]+)", event)
        st = re.search(r"stackTrace = \[\s*\n(.*?)\n\s*\]", event, re.S)
        if not (t and st):
            continue
        secs = int(t.group(1)) * 3600 + int(t.group(2)) * 60 + float(t.group(3))
        frames = [re.sub(r"\s+line:.*", "", f.strip()) for f in st.group(1).split("\n")]
        frames = [f for f in frames if f and f != "..."]
        if frames:
            samples.append((secs, frames))
    if not samples:
        sys.exit("no samples")
    t0 = min(s for s, _ in samples)
    samples = [f for s, f in samples if s - t0 >= after]
    leaf, incl = collections.Counter(), collections.Counter()
    for frames in samples:
        leaf[frames[0]] += 1
        for f in set(frames):
            if "dev.dsire" in f:
                incl[f] += 1
    n = len(samples)
    print(f"{n} samples" + (f" after the first {after:g} s" if after else ""))
    print("self (leaf frames):")
    for f, c in leaf.most_common(top):
        print(f"  {100 * c / n:5.1f} %  {f}")
    print("inclusive (dsire frames):")
    for f, c in incl.most_common(top):
        print(f"  {100 * c / n:5.1f} %  {f}")


if __name__ == "__main__":
    main()
