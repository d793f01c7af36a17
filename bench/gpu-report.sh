#!/usr/bin/env bash
# A first GPU run in one command: doctor (each CUDA library's soname and version, or why it did not
# load), doctor --bandwidth (pinned host->device GB/s), doctor --parity (CUDA against the CPU) and
# bench --device cuda on SD1.5- and SDXL-shaped adapters, all written to one report with a summary
# (models/s against the CPU, fraction of the measured host->device bandwidth).
#
# It needs only the launcher, target/dsire.jar and a JDK 25 runtime (a jlinked one is enough): no
# Maven, no sources, no test jar. Make that bundle on any machine with JDK 25 and the built jar:
#
#   bench/gpu-report.sh --bundle /tmp/dsire-gpu     # -> /tmp/dsire-gpu.tar.gz (jar + jlinked runtime + launcher + this script)
#
# and on the GPU machine (CUDA 12 or 13 driver and libraries, see README "Run on a GPU machine"):
#
#   tar xzf dsire-gpu.tar.gz && dsire-gpu/bench/gpu-report.sh [--out REPORT.md] [--files N] [--rank R]
#
# Each step is limited to DSIRE_STEP_TIMEOUT seconds (default 300); the defaults take about 5 minutes
# on a 16-core H100/H200 host. Exit status: 0 when every step passed, 1 otherwise (the report says which).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = "--bundle" ]; then
  out=${2:?usage: bench/gpu-report.sh --bundle DIR}
  set -e
  . "$here/native/find-jdk.sh"
  jar="$here/target/dsire.jar"
  [ -f "$jar" ] || { echo "gpu-report: build the jar first (./mvnw -DskipTests package)" >&2; exit 3; }
  rm -rf "$out"
  mkdir -p "$out/target" "$out/native" "$out/bench"
  # the modules the jar uses, plus the Vector API (incubating, loaded by name)
  mods=$("$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps "$jar")
  "$JAVA_HOME/bin/jlink" --add-modules "$mods,jdk.incubator.vector" --strip-debug --no-header-files --no-man-pages \
    --output "$out/runtime"
  cp "$jar" "$out/target/"
  cp "$here/dsire" "$out/"
  cp "$here/native/find-jdk.sh" "$out/native/"
  cp "$here/bench/gpu-report.sh" "$out/bench/"
  tar czf "$out.tar.gz" -C "$(dirname "$out")" "$(basename "$out")"
  echo "wrote $out.tar.gz ($(du -h "$out.tar.gz" | cut -f1)); on the GPU machine: tar xzf $(basename "$out").tar.gz && $(basename "$out")/bench/gpu-report.sh"
  exit 0
fi

report="gpu-report-$(date -u +%Y%m%dT%H%M%SZ).md"
files=32          # SD1.5-shaped; SDXL gets a quarter as many (each is ~4x larger)
rank=32
step_timeout=${DSIRE_STEP_TIMEOUT:-300}   # seconds per step: a hung GPU must not eat the whole session
while [ $# -gt 0 ]; do
  case "$1" in
    --out) report=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --rank) rank=$2; shift 2 ;;
    *) echo "usage: bench/gpu-report.sh [--out REPORT.md] [--files N] [--rank R] | --bundle DIR" >&2; exit 2 ;;
  esac
done
dsire="$here/dsire"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()

# step NAME CMD...: runs, keeps stdout+stderr in $work/NAME.txt, appends it to the report
step() {
  local name=$1; shift
  echo "== $name: $*" >&2
  local t0=$SECONDS rc
  if command -v timeout > /dev/null; then
    timeout --kill-after=10 "$step_timeout" "$@" > "$work/$name.txt" 2>&1
  else
    "$@" > "$work/$name.txt" 2>&1
  fi
  rc=$?
  [ $rc -eq 124 ] && echo "(timed out after $step_timeout s)" >> "$work/$name.txt"
  { echo "## $name"; echo; echo "\`$*\` — exit $rc, $((SECONDS - t0)) s"; echo; echo '```'; grep -v "Using incubator modules" "$work/$name.txt"; echo '```'; echo; } >> "$work/body.md"
  [ $rc -eq 0 ] || failed+=("$name (exit $rc)")
  return $rc
}

{
  echo "host: $(hostname), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv,noheader 2>&1
  else
    echo "nvidia-smi: not found"
  fi
} > "$work/host.txt"

step doctor "$dsire" doctor
step bandwidth "$dsire" doctor --bandwidth
step parity "$dsire" doctor --parity
step bench-sd15 "$dsire" bench --device cuda --family sd15 --files "$files" --rank "$rank" --repeats 3
xl=$((files / 4 > 0 ? files / 4 : 1))
step bench-sdxl "$dsire" bench --device cuda --family sdxl --files "$xl" --rank "$rank" --repeats 3

# summary: the fastest CPU row and the cuda row of each bench; GB/s from --bandwidth
gbps=$(sed -n 's/^bandwidth host->device, pinned: \([0-9.]*\) GB\/s.*/\1/p' "$work/bandwidth.txt")
summary() {
  awk -v name="$1" -v gbps="${gbps:-0}" '
    $1 == "cpu" && $0 ~ /threads?\)/ { mps = $(NF-2); if (mps > cpu) { cpu = mps; cpuName = $1 " " $2 " " $3 } }
    $1 == "cuda" && NF == 5 { cuda = $3; cudaMBs = $4 }
    /^agreement cuda/ { agree = $0; gsub(/\|/, "\\|", agree) }
    END {
      if (cuda == "") { printf "| %s | - | - | - | - | no cuda row (see below) |\n", name; exit }
      frac = gbps > 0 ? sprintf("%.1f %%", 100 * cudaMBs / (gbps * 1000)) : "-"
      printf "| %s | %.1f (%s) | %.1f | %.2fx | %s | %s |\n", name, cpu, cpuName, cuda, cuda / cpu, frac, agree
    }' "$work/$2.txt"
}
{
  echo "# dsire GPU report"
  echo
  cat "$work/host.txt"
  echo
  echo "| run | CPU models/s (best) | CUDA models/s | CUDA / CPU | of host->device bandwidth (${gbps:-?} GB/s) | agreement |"
  echo "|---|---|---|---|---|---|"
  summary "SD1.5, $files adapters, rank $rank" bench-sd15
  summary "SDXL, $xl adapters, rank $rank" bench-sdxl
  echo
  grep -h "^parity    all checks passed\|^parity    FAILED\|^parity    not run" "$work/parity.txt" || echo "parity: no verdict line (see below)"
  grep -h "^context " "$work/doctor.txt" || true
  if [ ${#failed[@]} -eq 0 ]; then echo "all steps passed"; else echo "FAILED: ${failed[*]}"; fi
  echo
  cat "$work/body.md"
} > "$report"
echo "wrote $report" >&2
sed -n '1,/^## doctor/p' "$report" | sed '$d' >&2
[ ${#failed[@]} -eq 0 ]
