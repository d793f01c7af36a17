#!/usr/bin/env bash
# The hub workflow end to end on a simulated dump (docs/scanning-a-hub.md):
#   bench/hub/run.sh [WORK_DIR] [make_dump.py options...]
# Default dump: the bundled zoo-low and zoo-medium (one layout; half the runs stripped of their size)
# plus zoo-k4-low stripped entirely (a layout nobody labelled).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/dsire-hub}
shift || true
rm -rf "$work" && mkdir -p "$work"
opts=("$@")
[ ${#opts[@]} -eq 0 ] && opts=(--labelled examples/zoo-low examples/zoo-medium --unlabelled examples/zoo-k4-low --seed 1)
python3 bench/hub/make_dump.py --out "$work/dump" "${opts[@]}"
./dsire scan "$work/dump" --db "$work/scan.sqlite"
./dsire fit --from-scan "$work/scan.sqlite" --out "$work/models"
./dsire scan "$work/dump" --db "$work/scan.sqlite" --model "$work/models"
./dsire export --db "$work/scan.sqlite" --format jsonl --out "$work/rows.jsonl"
./dsire report "$work/scan.sqlite" --models "$work/models" --out "$work/hub.html"
python3 bench/hub/measure.py "$work/dump/truth.csv" "$work/rows.jsonl"
