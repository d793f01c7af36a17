#!/usr/bin/env bash
# The accuracy table: eval (paper protocol) on every bundled zoo, and eval --transfer between recipes of one base.
# Prints one markdown table per kind of run. Usage: bench/accuracy/run.sh [ZOO_NAME...]  (default: every examples/zoo-*)
# METHODS overrides the methods compared (default: dsire,posterior,pooled,pooled-recipe).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
zoos=("$@")
if [ ${#zoos[@]} -eq 0 ]; then
  for d in examples/zoo-*/; do [ -f "$d/manifest.csv" ] && zoos+=("$(basename "$d" | sed 's/^zoo-//')"); done
fi
methods=${METHODS:-dsire,posterior,pooled,pooled-recipe}
out=$(mktemp -d)
for z in "${zoos[@]}"; do
  ./dsire eval -q --manifest "examples/zoo-$z/manifest.csv" --methods "$methods" --json > "$out/$z.json"
done
python3 "$here/bench/accuracy/table.py" protocol "$out"/*.json
# transfer: fitted on one recipe of a base, applied to another of the same base: the width-48 base's zoos, and
# the held-out pairs made on one base each after the method was final (heldout8, heldout9, heldout10)
pairs=("fixed48-low mixed-low" "fixed48-low epochs-low" "mixed-low epochs-low" "epochs-low mixed-low" "fixed48-low fixed48-medium" "mixed-low mixed-medium"
       "heldout8-mixed-low heldout8-epochs-low" "heldout8-epochs-low heldout8-mixed-low"
       "heldout9-mixed-low heldout9-epochs-low" "heldout9-epochs-low heldout9-mixed-low"
       "heldout10-mixed-low heldout10-epochs-low" "heldout10-epochs-low heldout10-mixed-low")
for p in "${pairs[@]}"; do
  set -- $p
  [ -f "examples/zoo-$1/manifest.csv" ] && [ -f "examples/zoo-$2/manifest.csv" ] || continue
  ./dsire eval -q --transfer "examples/zoo-$1/manifest.csv" "examples/zoo-$2/manifest.csv" --methods "$methods" --json > "$out/transfer-$1--$2.json"
done
ls "$out"/transfer-*.json >/dev/null 2>&1 && python3 "$here/bench/accuracy/table.py" transfer "$out"/transfer-*.json
rm -rf "$out"
