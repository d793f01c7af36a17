#!/usr/bin/env bash
# dsire serve under load on loopback, against the warm CLI on the same cores.
#  - serve: `dsire serve --workers CORES --threads 1`, SD 1.5 r32 fp16 uploads (the files `dsire bench` generates)
#    posted by ApacheBench (`apt-get install apache2-utils`), CONC connections, after a warm-up of 2×REQUESTS;
#  - warm CLI: `dsire predict --threads CORES` on a batch of the same files through the resident process
#    (docs/daemon.md), warmed first: the best a caller that batches can do on these cores. Both compute on
#    CORES threads (serve: CORES workers of one thread each).
# Rounds alternate (serve, CLI, serve, CLI, ...) so a busy minute on a shared machine hits both; medians.
# Besides files/s, CPU time per file of each process (/proc/PID/stat before and after each round), steadier
# than wall time on a busy machine, and ab's own CPU (it shares the cores with the server); and how much of their
# time the server's compute workers sat idle, waiting for an upload to be ready (the pipeline running dry).
# DSIRE_SERVE_BEFORE_JAR=path/dsire.jar also serves from that jar (an older build) on the next port, loaded in
# the same rounds (serve, before, CLI, ...): a before/after comparison under the same load.
# Usage: bench/serve/run.sh [REQUESTS=200] [CONC=4] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-200}; conc=${2:-4}; rounds=${3:-3}
cores=$(nproc); port=${DSIRE_SERVE_PORT:-18181}
before=${DSIRE_SERVE_BEFORE_JAR:-}
command -v ab >/dev/null || { echo "needs ab: apt-get install -y apache2-utils" >&2; exit 2; }
gen=${DSIRE_COLD_DIR:-/tmp/dsire-cold-sd15}-24
mkdir -p "$gen"; [ "$(find "$gen" -maxdepth 1 -name '*.safetensors' | wc -l)" = 24 ] || rm -f "$gen"/*.safetensors
"$here/dsire" bench --dir "$gen" --files 24 --threads 1 --repeats 1 >/dev/null 2>&1
files=("$gen"/*.safetensors)
work=$(mktemp -d)
{ echo "path,group,size"; for ((i = 0; i < 24; i++)); do echo "${files[$i]},g$((i % 6)),$((1 + i % 4))"; done; } > "$work/manifest.csv"
mkdir "$work/models"; DSIRE_DAEMON=0 "$here/dsire" fit --manifest "$work/manifest.csv" --out "$work/models/sd15.json" >/dev/null 2>&1
batch=(); for ((i = 0; i < n; i++)); do batch+=("${files[$((i % 24))]}"); done   # the CLI's batch: as many files as requests
serve=(serve --model "$work/models" --workers "$cores" --threads 1 --queue 64)
DSIRE_DAEMON=0 "$here/dsire" "${serve[@]}" --port "$port" 2> "$work/serve.log" &   # the launcher's bash: its JVM is stopped through it below
pid=$!; pids=$pid; names=(serve)
if [ -n "$before" ]; then
  . "$here/native/find-jdk.sh"
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$before" "${serve[@]}" --port $((port + 1)) 2> "$work/serve-before.log" &
  pids="$pids $!"; names+=(before)
fi
# stop each server's JVM (the launcher's child, or the process itself) and then the launcher; set +e: a kill of
# a process already gone fails, and under set -e that ended the trap before the daemon and the work folder
jvms=
stop() { set +e; for p in $jvms $pids; do kill "$p" 2>/dev/null; done; for p in $pids; do wait "$p" 2>/dev/null; done; "$here/dsire" daemon stop >/dev/null 2>&1; rm -rf "$work"; }
trap stop EXIT
for ((k = 0; k < ${#names[@]}; k++)); do
  for ((i = 0; i < 600; i++)); do curl -sf "http://127.0.0.1:$((port + k))/healthz" >/dev/null && break; sleep 0.1; done
done
for p in $pids; do jvms="$jvms $(pgrep -P "$p" -x java || echo "$p")"; done   # the launcher runs java as its child
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # user + system, in clock ticks
# ns the compute workers (threads dsire-serve-N) spent neither running nor runnable: waiting for an upload to be
# ready. Wall time less this is what the workers had: a starved pipeline shows here, not in CPU per file
idle() { local t run=0 wait=0 n=0 s; for t in /proc/$1/task/*; do case $(cat "$t/comm" 2>/dev/null) in dsire-serve-*)
  s=($(cat "$t/schedstat")); run=$((run + s[0])); wait=$((wait + s[1])); n=$((n + 1)) ;; esac; done
  echo $(( n * $(date +%s%N) - run - wait )); }
tck=$(getconf CLK_TCK)
# ab with its own CPU time: cutime + cstime of the shell that waited for it
load() { bash -c 'ab -q -l -n "$1" -c "$2" -p "$3" -T application/octet-stream "$4" > "$5"; awk "{print \$16 + \$17}" /proc/$$/stat > "$5.cpu"' _ \
           "$1" "$conc" "${files[0]}" "http://127.0.0.1:$2/v1/predict?name=upload.safetensors" "$3"; }
for ((k = 0; k < ${#names[@]}; k++)); do load $((2 * n)) $((port + k)) "$work/warm.$k.txt"; done   # JIT warm-up, not counted
"$here/dsire" predict --threads "$cores" --model "$work/models/sd15.json" "${batch[@]}" >/dev/null 2>&1   # starts + warms the resident process
"$here/dsire" predict --threads "$cores" --model "$work/models/sd15.json" "${batch[@]}" >/dev/null 2>&1
# the resident process: started as such (DaemonServer), or a first call's JVM that stayed on (dsire.handoff)
daemon=$(for p in $(pgrep -f 'DaemonServer|dsire[.]handoff' || true); do if grep -qF "$here/target/dsire.jar" "/proc/$p/cmdline" 2>/dev/null; then echo "$p"; break; fi; done)
steal=$("$here/bench/cpu-steal.sh" read)
for ((r = 0; r < rounds; r++)); do
  k=0
  for p in $jvms; do
    c0=$(cpu "$p"); i0=$(idle "$p"); w0=$(date +%s%N); load "$n" $((port + k)) "$work/ab.$k.$r.txt"; w1=$(date +%s%N); i1=$(idle "$p"); c1=$(cpu "$p")
    echo "$(( (c1 - c0) * 1000000 / tck / n ))" > "$work/cpu.$k.$r.txt"   # µs per request
    echo "$(( (i1 - i0) * 1000 / (cores * (w1 - w0)) ))" > "$work/idle.$k.$r.txt"   # per mille of the workers' time
    k=$((k + 1))
  done
  d0=$([ -n "$daemon" ] && cpu "$daemon" || echo 0)
  s=$(date +%s%N); "$here/dsire" predict --threads "$cores" --model "$work/models/sd15.json" "${batch[@]}" >/dev/null 2>&1; e=$(date +%s%N)
  d1=$([ -n "$daemon" ] && cpu "$daemon" || echo 0)
  echo "$(( (e - s) / 1000 ))" > "$work/cli.$r.txt"
  echo "$(( (d1 - d0) * 1000000 / tck / n ))" > "$work/clicpu.$r.txt"
done
echo "$n SD 1.5 r32 fp16 uploads ($(stat -c %s "${files[0]}") bytes each), $conc connections, $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), medians of $rounds alternating rounds"
python3 - "$work" "$rounds" "$n" "$tck" "${names[@]}" <<'PY'
import re, statistics, sys
work, rounds, n, tck, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
med = statistics.median
cli = [n / (int(open(f"{work}/cli.{r}.txt").read()) / 1e6) for r in range(rounds)]
clicpu = [int(open(f"{work}/clicpu.{r}.txt").read()) / 1000 for r in range(rounds)]
print("| path | files/s | p50 ms | p99 ms | errors | CPU ms per file | ab's CPU ms per request | workers idle |")
print("|---|---|---|---|---|---|---|---|")
ratios = {}
for k, name in enumerate(names):
    rps, p50, p99, failed, non2xx, cpu, abcpu, idle = [], [], [], 0, 0, [], [], []
    for r in range(rounds):
        t = open(f"{work}/ab.{k}.{r}.txt").read()
        rps.append(float(re.search(r"Requests per second:\s+([\d.]+)", t).group(1)))
        p50.append(int(re.search(r"^\s+50%\s+(\d+)", t, re.M).group(1)))
        p99.append(int(re.search(r"^\s+99%\s+(\d+)", t, re.M).group(1)))
        failed += int(re.search(r"Failed requests:\s+(\d+)", t).group(1))
        m = re.search(r"Non-2xx responses:\s+(\d+)", t)
        non2xx += int(m.group(1)) if m else 0
        cpu.append(int(open(f"{work}/cpu.{k}.{r}.txt").read()) / 1000)
        abcpu.append(int(open(f"{work}/ab.{k}.{r}.txt.cpu").read()) * 1000 / tck / n)
        idle.append(int(open(f"{work}/idle.{k}.{r}.txt").read()) / 10)
    label = "dsire serve, POST /v1/predict (ab)" if name == "serve" else "dsire serve from DSIRE_SERVE_BEFORE_JAR (ab)"
    print(f"| {label} | {med(rps):.1f} | {med(p50)} | {med(p99)} | {failed} failed, {non2xx} non-2xx | {med(cpu):.1f} | {med(abcpu):.1f} | {med(idle):.1f} % |")
    ratios[name] = ([rps[r] / cli[r] for r in range(rounds)], [clicpu[r] / cpu[r] if cpu[r] else 0 for r in range(rounds)])
print(f"| warm CLI, `dsire predict` on {n} files (resident process) | {med(cli):.1f} | | | | {med(clicpu):.1f} | | |")
for name, (ratio, cpuratio) in ratios.items():
    who = "serve" if name == "serve" else "before"
    print(f"{who} / warm CLI throughput: {med(ratio):.2f}× (lowest round {min(ratio):.2f}×); in CPU per file, CLI / {who}: {med(cpuratio):.2f}×")
PY
"$here/bench/cpu-steal.sh" since "$steal"
