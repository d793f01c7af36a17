# Sourced by ./dsire-spark and bench/spark-standalone.sh: builds the jar if needed and sets
#   DSIRE_JAR          the CLI/job jar (what spark-submit takes as the application jar)
#   SPARK_CP           the Maven-resolved Spark 4.2.0 jars (the pom's "provided" scope), ':'-joined
#   SPARK_JVM_OPTS     Spark's own JVM options (its JavaModuleOptions) for a driver run with plain java
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/native/find-jdk.sh"
export JAVA_HOME
DSIRE_JAR="$here/target/dsire.jar"
if [ ! -f "$DSIRE_JAR" ] || [ -n "$(find "$here/src/main" "$here/kernels" "$here/pom.xml" -newer "$DSIRE_JAR" -print -quit 2>/dev/null)" ]; then
  echo "dsire-spark: building the jar (first run or sources changed)..." >&2
  "$here/mvnw" -q -DskipTests package >&2 || { echo "dsire-spark: build failed" >&2; exit 3; }
fi
_cp_file="$here/target/spark-classpath.txt"
if [ ! -s "$_cp_file" ] || [ "$here/pom.xml" -nt "$_cp_file" ]; then
  echo "dsire-spark: resolving Spark's jars with Maven (first run downloads them)..." >&2
  "$here/mvnw" -q dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile="$_cp_file" >&2 \
    || { echo "dsire-spark: could not resolve Spark's jars" >&2; exit 3; }
fi
SPARK_CP=$(cat "$_cp_file")
_opts_file="$here/target/spark-jvm-options.txt"
if [ ! -s "$_opts_file" ] || [ "$_cp_file" -nt "$_opts_file" ]; then
  "$JAVA_HOME/bin/java" -cp "$SPARK_CP" "$here/native/SparkJvmOptions.java" > "$_opts_file" \
    || { echo "dsire-spark: could not read Spark's JVM options" >&2; exit 3; }
fi
SPARK_JVM_OPTS=$(cat "$_opts_file")
unset _cp_file _opts_file
