# Sourced by ./dsire and ./mvnw: sets JAVA_HOME to a JDK 25 or stops with one clear line.
# the JDK's release file first: starting `java -version` costs ~60 ms of every dsire call
_dsire_is_25() { [ -x "$1/bin/java" ] && { grep -qE '^JAVA_VERSION="(25|2[6-9]|[3-9][0-9])(\.|")' "$1/release" 2>/dev/null ||
  "$1/bin/java" -version 2>&1 | head -1 | grep -qE '"(25|2[6-9]|[3-9][0-9])(\.|")'; }; }
_dsire_jdk=""
if [ -n "${JAVA_HOME:-}" ] && _dsire_is_25 "$JAVA_HOME"; then _dsire_jdk=$JAVA_HOME; fi
if [ -z "$_dsire_jdk" ]; then
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    if _dsire_is_25 "$d"; then _dsire_jdk=$d; break; fi
  done
fi
if [ -z "$_dsire_jdk" ]; then
  echo "dsire: no JDK 25 found (looked at JAVA_HOME and /usr/lib/jvm); install one, e.g. Temurin 25, and set JAVA_HOME" >&2
  exit 3
fi
JAVA_HOME=$_dsire_jdk
unset _dsire_jdk
