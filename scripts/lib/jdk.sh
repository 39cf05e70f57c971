# Sourced by the scripts (from the repository root): finds a JDK 25 or newer as the ./slmops launcher does —
# JAVA_HOME first, then /usr/lib/jvm/* — and exports JAVA_HOME; exits with a clear message when there is none.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
slmops_java=""
for cand in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java; do
  [ -x "$cand" ] || continue
  v="$(java_major "$cand")"
  if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 25 ]; then slmops_java="$cand"; break; fi
done
[ -n "$slmops_java" ] || { echo "$(basename "$0"): needs a JDK 25 or newer; set JAVA_HOME or install one under /usr/lib/jvm" >&2; exit 1; }
export JAVA_HOME="$(dirname "$(dirname "$slmops_java")")"
