#!/usr/bin/env bash
# A/B of the Gram kernels alone: several jars in one JVM, one class loader each, batches interleaved.
# Usage: bench/gram-ab/run.sh ROUNDS REPS JAR... [-- java options, e.g. -XX:UseAVX=2]
# Prints per jar the median over rounds of µs of thread CPU per call (dot: A's gramAdd, rows: B's
# gramRowsAdd), summed over len 320, 640, 768, 1280, and checksums of g's lower triangle's bits
# (they must be the same for every jar).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=$1 reps=$2; shift 2
jars=(); while [ $# -gt 0 ] && [ "$1" != -- ]; do jars+=("$(realpath "$1")"); shift; done; [ $# -gt 0 ] && shift
jdk=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cls=$(mktemp -d)
"$jdk/bin/javac" --add-modules jdk.incubator.vector -cp "${jars[0]}" -d "$cls" "$here/dev/dsire/spectra/GramAB.java" 2>/dev/null
"$jdk/bin/java" --add-modules jdk.incubator.vector "$@" -cp "$cls" dev.dsire.spectra.GramAB "$cls" "$rounds" "$reps" "${jars[@]}" 2>/dev/null
rm -rf "$cls"
# Whole extraction, one thread, the same way (adapters made by `dsire bench --dir DIR`, e.g. bench/peers/run-all.sh's):
# java --add-modules jdk.incubator.vector [-XX:UseAVX=2] -cp CLASSES dev.dsire.spectra.E2E DIR PASSES JAR...
