#!/usr/bin/env bash
# Peak RSS of one QLoRA training step (Q4_0 base, LoRA r=16 on all projections, gradient checkpointing):
#   scripts/qlora-memory.sh [shape=qwen2.5-0.5b] [seq=512] [threads]
# Heap capped at 1 GiB (-Xmx1g): the JVM would otherwise grow its heap lazily to a quarter of RAM, and the peak
# would measure the collector's appetite, not the step's needs. Prints the shape, the step and the peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
./mvnw -q -B -pl train -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="train/target/test-classes:train/target/classes:$(cat train/target/bench.classpath)"
exec "$JAVA_HOME/bin/java" -Xmx1g --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS -cp "$cp" dev.slmops.train.bench.QloraMemoryProbe "$@"
