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
# JIT flags every JVM running the engine gets (the ./slmops launcher sets the same): the Vector API's call chains are
# deep, and past C2's default MaxInlineLevel (15) the innermost calls are not inlined, so a kernel's vector operations
# fall back to boxed lane-by-lane code (measured: smollm2-135m Q8_0 decode 94-108 -> 138-146 tokens/s).
export SLMOPS_JIT_FLAGS="-XX:MaxInlineLevel=30"
