#!/usr/bin/env bash
# Training step throughput, slmops vs eager PyTorch, side by side in one run (issue 5):
#   scripts/bench-train-vs-torch.sh [seq=512] [threads=2] [steps=5]
# One training step (forward, backward, AdamW) of the smollm2-135m shape (random F32 weights, batch 1 x seq) for LoRA
# (r=16, all seven projections) and full fine-tuning, in slmops (TrainStepBench) and in PyTorch (Debian's
# /usr/bin/python3 with python3-torch, float32). For the PyTorch runs OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
# unset together so OpenBLAS picks its own kernel for the CPU. Prints tokens/s, the ratio, and each side's achieved
# GFLOPS against the machine's FP32 peak (PEAK_GFLOPS; default threads x 2 FMA units x lanes x 2 x 3.3 GHz, with 16
# lanes where /proc/cpuinfo lists avx512f and 8 otherwise: 422 on two AVX-512 cores, 211 on two AVX2 ones).
# A benchmark, not a test: timings on a shared machine are noisy; compare the two sides of one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
SEQ="${1:-512}" THREADS="${2:-2}" STEPS="${3:-5}"
LANES=8
grep -qw avx512f /proc/cpuinfo 2>/dev/null && LANES=16
PEAK="${PEAK_GFLOPS:-$(awk -v t="$THREADS" -v l="$LANES" 'BEGIN { printf "%.0f", t * 2 * l * 2 * 3.3 }')}"
echo "FP32 peak assumed: $PEAK GFLOPS ($THREADS threads, $LANES-lane FMA; PEAK_GFLOPS overrides)"
. scripts/lib/jdk.sh
# Debian's python3-torch multiplies through libblas.so.3, whichever BLAS update-alternatives selects: with only the
# reference BLAS (package libblas3) installed it runs ~5 GFLOPS and PyTorch steps ~10x slower (measured here: LoRA
# 4.1 tokens/s instead of 47). The peer the issue means is PyTorch on OpenBLAS: apt-get install libopenblas0-pthread.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*|*mkl*|*blis*) echo "PyTorch's BLAS: $blas" ;;
  *) echo "WARNING: PyTorch's BLAS is '$blas' (not OpenBLAS): its figures will be ~10x too slow;" \
          "apt-get install libopenblas0-pthread for a fair peer" >&2 ;;
esac
./mvnw -q -B -pl train -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="train/target/test-classes:train/target/classes:$(cat train/target/bench.classpath)"
declare -A JAVA TORCH FLOP JCPU TCPU
for method in lora full; do
  log=$(mktemp)
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $SLMOPS_JIT_FLAGS -Xmx12g -cp "$cp" dev.slmops.train.bench.TrainStepBench \
      "$method" "$SEQ" "$THREADS" "$STEPS" 2>/dev/null > "$log"
  cat "$log"
  line=$(grep '^RESULT' "$log")
  JAVA[$method]=$(echo "$line" | awk '{print $3}')
  FLOP[$method]=$(echo "$line" | awk '{print $5}') # GFLOP per step
  JCPU[$method]=$(echo "$line" | awk '{print $6}')
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/reference/torch_train_bench.py \
      "$method" "$SEQ" "$THREADS" "$STEPS" > "$log"
  cat "$log"
  line=$(grep '^RESULT' "$log")
  rm -f "$log"
  TORCH[$method]=$(echo "$line" | awk '{print $3}')
  TCPU[$method]=$(echo "$line" | awk '{print $5}')
done
echo
# "per CPU": tokens per CPU-second x threads, the rate each side would reach on idle cores (fairer than wall time
# when other processes share the machine; slmops' spinning workers count as busy, which only penalizes slmops).
printf '%-6s %12s %12s %7s %16s %16s %7s %14s\n' method "slmops tok/s" "torch tok/s" ratio "slmops per CPU" "torch per CPU" ratio "slmops % peak"
for method in lora full; do
  awk -v m="$method" -v j="${JAVA[$method]}" -v t="${TORCH[$method]}" -v jc="${JCPU[$method]}" -v tc="${TCPU[$method]}" \
      -v f="${FLOP[$method]}" -v s="$SEQ" -v p="$PEAK" 'BEGIN {
    printf "%-6s %12.1f %12.1f %6.2fx %16.1f %16.1f %6.2fx %13.1f%%\n", m, j, t, j / t, jc, tc, jc / tc, 100 * f * jc / s / p }'
done
