#!/usr/bin/env bash
# A real Spark standalone cluster on the loopback interface, from the Maven-resolved Spark jars
# (nothing installed): one master, two workers (1 core, 1 GiB each), the job submitted with
# spark-submit's own class, then everything stopped.
# Usage: bench/spark-standalone.sh --input DIR --out OUT [--model model.json ...]   (the job's options)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/native/spark-env.sh"
work=$(mktemp -d /tmp/dsire-standalone.XXXXXX)
# Workers launch executors from $SPARK_HOME/jars: a folder of links to the Maven-resolved jars is one
mkdir -p "$work/home/jars"
tr ':' '\n' <<<"$SPARK_CP" | while read -r j; do ln -s "$j" "$work/home/jars/"; done
export SPARK_HOME="$work/home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS="$work/local"
port=$(( 20000 + RANDOM % 20000 ))
master="spark://127.0.0.1:$port"
java_cmd=("$JAVA_HOME/bin/java" $SPARK_JVM_OPTS -Xmx512m -cp "$SPARK_HOME/jars/*")
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT
"${java_cmd[@]}" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 >"$work/master.log" 2>&1 &
pids+=($!)
for i in 1 2; do
  "${java_cmd[@]}" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --webui-port 0 --cores 1 --memory 1g \
    --work-dir "$work/worker$i" "$master" >"$work/worker$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 120); do
  [ "$(grep -l "Successfully registered with master" "$work"/worker*.log 2>/dev/null | wc -l)" -eq 2 ] && break
  sleep 1
done
[ "$(grep -l "Successfully registered with master" "$work"/worker*.log 2>/dev/null | wc -l)" -eq 2 ] \
  || { echo "spark-standalone: workers did not register; see below" >&2; tail -20 "$work"/*.log >&2; exit 1; }
echo "spark-standalone: master $master, 2 workers up" >&2
# spark-submit, as a cluster user runs it (org.apache.spark.deploy.SparkSubmit is what bin/spark-submit calls)
"$JAVA_HOME/bin/java" $SPARK_JVM_OPTS -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit \
  --master "$master" --deploy-mode client --class dev.dsire.spark.SparkMain \
  --conf spark.executor.cores=1 --conf spark.executor.memory=768m --conf spark.ui.enabled=false \
  --conf spark.driver.host=127.0.0.1 \
  --conf "spark.executor.extraJavaOptions=--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED" \
  "$DSIRE_JAR" scan "$@"
