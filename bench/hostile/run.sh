#!/usr/bin/env bash
# The batch mutation test at full size: N hostile files (default 20000, plus the special files)
# through inspect --json, features --jsonl, predict --json and scan + export --format jsonl; then
# the LoRA-WiSE mutation test: every Parquet edit plus WISE_FILES byte-damaged files (default 400)
# through wise and eval --wise.
# Usage: bench/hostile/run.sh [FILES] [SEED]   (heavy mutations on: rank bombs, backtracking regexes)
# Writes the summary to bench/hostile/last-run.txt and keeps the corpus in bench/hostile/work/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
files=${1:-20000}
seed=${2:-12}
work="$here/work"
rm -rf "$work"
mkdir -p "$work"
cd "$root"
start=$(date +%s)
nice -n 10 ./mvnw -q test -Dtest=BatchMutationTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dhostile.files="$files" -Dhostile.seed="$seed" -Dhostile.heavy="${HOSTILE_HEAVY:-true}" -Dhostile.timeout="${HOSTILE_TIMEOUT:-3600}" \
  -Dhostile.dir="$work" -Dhostile.report="$here/last-run.txt" -Dsurefire.timeout=0 || status=$?
nice -n 10 ./mvnw -q test -Dtest=WiseMutationTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dhostile.wise.files="${WISE_FILES:-400}" -Dhostile.seed="$seed" -Dhostile.timeout="${HOSTILE_TIMEOUT:-3600}" \
  -Dhostile.report="$here/last-run.txt" -Dsurefire.timeout=0 || status=$?
echo "total wall time: $(( $(date +%s) - start )) s" >> "$here/last-run.txt"
cat "$here/last-run.txt"
exit "${status:-0}"
