# Sourced by ./dsire and ./mvnw: sets JAVA_HOME to a JDK 25 or stops with one clear line.
# the JDK's release file first: starting `java -version` costs ~60 ms of every dsire call, and even a grep
# of the file ~2 ms (a process), so the shell reads it itself
_dsire_release_25() {
  local l re='^JAVA_VERSION="(25|2[6-9]|[3-9][0-9])(\.|")'
  [ -r "$1" ] || return 1
  while IFS= read -r l || [ -n "$l" ]; do [[ $l =~ $re ]] && return 0; done < "$1"
  return 1
}
_dsire_is_25() { [ -x "$1/bin/java" ] && { _dsire_release_25 "$1/release" ||
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
unset -f _dsire_release_25 _dsire_is_25
