#!/usr/bin/env bash
# Encode throughput of our tokenizers against Hugging Face's Rust tokenizers (DJL), one thread, in MB/s.
# Usage: scripts/bench-tokenizer.sh   (needs JDK 25: JAVA_HOME or /usr/lib/jvm/temurin-25-jdk-amd64)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
# one reactor run, so that the sibling modules resolve to their target/classes (nothing is installed);
# the model module is built last and leaves its test classpath in bench.cp
./mvnw -q -B -pl model -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/model/target/bench.cp"
CP="model/target/test-classes:model/target/classes:$(cat model/target/bench.cp)"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS --enable-native-access=ALL-UNNAMED \
  -Dslmops.project.root="$PWD" -cp "$CP" dev.slmops.model.tokenizer.bench.TokenizerBenchMain "$@"
