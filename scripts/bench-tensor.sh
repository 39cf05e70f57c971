#!/usr/bin/env bash
# Runs the tensor module's JMH benchmarks: scripts/bench-tensor.sh [JMH args], e.g.
#   scripts/bench-tensor.sh GemvBenchmark -p dtype=Q8_0 -p shape=576x576 -wi 2 -i 3
# Builds the test classes first. Timings on a shared machine are noisy: report medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
./mvnw -q -B -pl tensor -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="tensor/target/test-classes:tensor/target/classes:$(cat tensor/target/bench.classpath)"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS -cp "$cp" org.openjdk.jmh.Main "$@"
