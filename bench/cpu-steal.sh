#!/usr/bin/env bash
# How much CPU time the hypervisor took from this machine (steal) between two readings of /proc/stat,
# as a share of the time the CPUs were busy or stolen: on a shared host, wall times inflate with it,
# so the bench scripts print it under their tables.
# Usage: s=$(bench/cpu-steal.sh read); ...; bench/cpu-steal.sh since "$s"
case "${1:-}" in
  read) awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $9}' /proc/stat 2>/dev/null || echo "0 0" ;;
  since) read -r b0 s0 <<< "$2"; read -r b1 s1 <<< "$("$0" read)"
         awk -v b="$((b1 - b0))" -v s="$((s1 - s0))" 'BEGIN { if (b > 0) printf "steal: the hypervisor took %.1f %% of the CPU time this run wanted (wall times inflate with it)\n", 100 * s / b }' ;;
  *) echo "usage: $0 read | since READING" >&2; exit 2 ;;
esac
