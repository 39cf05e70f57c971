#!/usr/bin/env bash
# Milliseconds per constrained-decoding step (the token mask) on Qwen3's 151k vocabulary, one thread (JMH).
# Usage: scripts/bench-constrain.sh   (needs JDK 25: JAVA_HOME or /usr/lib/jvm/temurin-25-jdk-amd64)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
./mvnw -q -B -pl model -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/model/target/bench.cp"
CP="model/target/test-classes:model/target/classes:$(cat model/target/bench.cp)"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS -Dslmops.project.root="$PWD" -cp "$CP" \
  org.openjdk.jmh.Main MaskStepBench "$@"
