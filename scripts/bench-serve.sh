#!/usr/bin/env bash
# Load benchmark of `slmops serve`: C concurrent streaming clients for S seconds, then llama.cpp decoding C
# sequences per step (what llama-server --parallel C does) on the same GGUF and threads, in the same run.
#
#   scripts/bench-serve.sh [--clients 8,32] [--duration 300] [--warmup 90] [--threads 2] [--max-tokens 128]
#                          [--prompt-tokens 32] [--model FILE.gguf] [--no-llama 1] [--kv-type f32|f16]
#
# Without --model it makes, once, .cache/bench/qwen2.5-0.5b-q8_0.gguf (random weights; llama.cpp's quantizer).
# The warm-up (default 90 s) must outlast a few requests: at 32 clients one lasts ~30 s (128 passes of ~0.2 s), and
# the heap reaches its steady size after two or three of them (measured, qwen2.5-0.5b Q8_0: committed heap 947 MiB
# at 30 s, 1020 from 77 s on, flat to the end; measured from 30 s the RSS "grew" 8-10%, from 90 s not).
# Prints a markdown table: aggregate generated tokens/s, TTFT p50/p99, errors, RSS after warm-up and at the end
# (goal: growth under 5%), llama.cpp's tokens/s and the ratio (goal >= 1.0), then per client count the mean forward
# pass time and sequences per pass. Timings are noisy on a shared machine: compare ratios from one run only.
# SLMOPS_BENCH_JAVA_OPTS adds JVM options (e.g. -XX:StartFlightRecording=filename=serve.jfr to profile).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
. scripts/lib/jdk.sh
java="$JAVA_HOME/bin/java"
# test-compile and the classpath in one reactor run (the modules are not installed: they resolve to target/classes)
./mvnw -q -B -pl serve -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath </dev/null >&2
cp="serve/target/test-classes:serve/target/classes"
for m in workflows train model tensor testkit; do cp="$cp:$m/target/classes"; done
cp="$cp:$(tr ':' '\n' < serve/target/bench.classpath | grep -v '/dev/slmops/' | paste -sd:)"
# the GC options of the ./slmops launcher (what `slmops serve` runs with), so the RSS figures are production's;
# SLMOPS_BENCH_GC replaces them (e.g. "-XX:+UseParallelGC -Xmx8g", the options before 2026-11-26: RSS grew with the heap)
exec "$java" --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS --enable-native-access=ALL-UNNAMED ${SLMOPS_BENCH_GC:--XX:+UseSerialGC -Xmn16m -XX:PretenureSizeThreshold=262144 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20} \
  ${SLMOPS_BENCH_JAVA_OPTS:-} \
  -Dslmops.project.root="$PWD" -cp "$cp" dev.slmops.serve.bench.ServeLoadBench "$@"
