#!/usr/bin/env bash
# dsire serve under load on loopback, against the warm CLI on the same cores.
#  - serve: `dsire serve --workers CORES --threads 1`, SD 1.5 r32 fp16 uploads (the files `dsire bench` generates)
#    posted by ApacheBench (`apt-get install apache2-utils`), CONC connections, after a warm-up of the same size;
#  - warm CLI: `dsire predict --threads CORES` on a batch of the same files through the resident process
#    (docs/daemon.md), warmed first: the best a caller that batches can do on these cores.
# Rounds alternate (serve, CLI, serve, CLI, ...) so a busy minute on a shared machine hits both; medians.
# Usage: bench/serve/run.sh [REQUESTS=200] [CONC=4] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-200}; conc=${2:-4}; rounds=${3:-3}
cores=$(nproc); port=${DSIRE_SERVE_PORT:-18181}
command -v ab >/dev/null || { echo "needs ab: apt-get install -y apache2-utils" >&2; exit 2; }
gen=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15}-24
mkdir -p "$gen"; [ "$(find "$gen" -maxdepth 1 -name '*.safetensors' | wc -l)" = 24 ] || rm -f "$gen"/*.safetensors
"$here/dsire" bench --dir "$gen" --files 24 --threads 1 --repeats 1 >/dev/null 2>&1
files=("$gen"/*.safetensors)
work=$(mktemp -d)
{ echo "path,group,size"; for ((i = 0; i < 24; i++)); do echo "${files[$i]},g$((i % 6)),$((1 + i % 4))"; done; } > "$work/manifest.csv"
mkdir "$work/models"; DSIRE_DAEMON=0 "$here/dsire" fit --manifest "$work/manifest.csv" --out "$work/models/sd15.json" >/dev/null 2>&1
batch=(); for ((i = 0; i < n; i++)); do batch+=("${files[$((i % 24))]}"); done   # the CLI's batch: as many files as requests
DSIRE_DAEMON=0 "$here/dsire" serve --port "$port" --model "$work/models" --workers "$cores" --threads 1 --queue 64 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; "$here/dsire" daemon stop >/dev/null 2>&1; rm -rf "$work"' EXIT
for ((i = 0; i < 600; i++)); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/v1/predict?name=upload.safetensors"
load() { ab -q -l -n "$1" -c "$conc" -p "${files[0]}" -T application/octet-stream "$url"; }
load "$n" > "$work/warm.txt"                                                       # JIT warm-up, not counted
"$here/dsire" predict --threads "$cores" --model "$work/models/sd15.json" "${batch[@]}" >/dev/null 2>&1   # starts + warms the resident process
"$here/dsire" predict --threads "$cores" --model "$work/models/sd15.json" "${batch[@]}" >/dev/null 2>&1
steal=$("$here/bench/cpu-steal.sh" read)
for ((r = 0; r < rounds; r++)); do
  load "$n" > "$work/ab.$r.txt"
  s=$(date +%s%N); "$here/dsire" predict --threads "$cores" --model "$work/models/sd15.json" "${batch[@]}" >/dev/null 2>&1; e=$(date +%s%N)
  echo "$(( (e - s) / 1000 ))" > "$work/cli.$r.txt"
done
echo "$n SD 1.5 r32 fp16 uploads ($(stat -c %s "${files[0]}") bytes each), $conc connections, $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), medians of $rounds alternating rounds"
python3 - "$work" "$rounds" "$n" <<'PY'
import re, statistics, sys
work, rounds, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rps, p50, p99, failed, non2xx, cli, ratio = [], [], [], 0, 0, [], []
for r in range(rounds):
    t = open(f"{work}/ab.{r}.txt").read()
    rps.append(float(re.search(r"Requests per second:\s+([\d.]+)", t).group(1)))
    p50.append(int(re.search(r"^\s+50%\s+(\d+)", t, re.M).group(1)))
    p99.append(int(re.search(r"^\s+99%\s+(\d+)", t, re.M).group(1)))
    failed += int(re.search(r"Failed requests:\s+(\d+)", t).group(1))
    m = re.search(r"Non-2xx responses:\s+(\d+)", t)
    non2xx += int(m.group(1)) if m else 0
    cli.append(n / (int(open(f"{work}/cli.{r}.txt").read()) / 1e6))
    ratio.append(rps[-1] / cli[-1])
med = statistics.median
print("| path | files/s | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|")
print(f"| dsire serve, POST /v1/predict (ab) | {med(rps):.1f} | {med(p50)} | {med(p99)} | {failed} failed, {non2xx} non-2xx |")
print(f"| warm CLI, `dsire predict` on {n} files (resident process) | {med(cli):.1f} | | | |")
print(f"serve / warm CLI throughput: {med(ratio):.2f}× (lowest round {min(ratio):.2f}×)")
PY
"$here/bench/cpu-steal.sh" since "$steal"
