#!/usr/bin/env bash
# Runs the train module's JMH benchmarks: scripts/bench-train.sh [JMH args], e.g.
#   scripts/bench-train.sh OptimizerBenchmark -p parameters=134515008
# Builds the test classes first. Timings on a shared machine are noisy: report medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
./mvnw -q -B -pl train -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="train/target/test-classes:train/target/classes:$(cat train/target/bench.classpath)"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS -cp "$cp" org.openjdk.jmh.Main "$@"
