#!/usr/bin/env bash
# Builds the engine and the JMH benchmarks, then runs them. Extra arguments go to JMH,
# e.g. bench/run-jmh.sh SpectraBench -p threads=1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../mvnw" -q -DskipTests install
"$here/../mvnw" -q -f bench/pom.xml clean package  # clean: shade would otherwise merge the stale shaded jar first
. "$here/../native/find-jdk.sh"
exec "$JAVA_HOME/bin/java" -jar "$here/target/benchmarks.jar" "$@"
