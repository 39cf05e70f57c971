#!/usr/bin/env bash
# Quantization speed: `slmops quantize` against llama.cpp's quantizer (llama_model_quantize, through testkit's
# LlamaQuantizeMain) on the same F16 GGUF, same types, same threads, one after the other in one run.
#
#   scripts/bench-quantize.sh [--shape smollm2-135m] [--types "q8_0 q4_0 q4_k_m q6_k"] [--threads N (2)] [--reps R (3)]
#
# Makes, once, into .cache/bench/ (git-ignored): SHAPE-hf/ (slmops init, random BF16 weights: speed does not depend
# on their values) and SHAPE-f16.gguf (slmops convert). Then for each type runs both quantizers R times and prints a
# markdown table of the median wall time and MB/s (F16 input file megabytes / second), and the ratio
# slmops / llama.cpp. Both times include starting a JVM (llama.cpp's runs in a small host JVM through FFM) and
# reading the file; both outputs must then be byte-identical (checked with cmp: our quantizers are ggml's).
# Timings are noisy on a shared machine: the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
root="$PWD"

shape=smollm2-135m
types="q8_0 q4_0 q4_k_m q6_k"
threads=2
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape="$2"; shift ;;
    --types) types="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$reps" =~ ^[1-9][0-9]*$ && "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "--reps and --threads take whole numbers >= 1" >&2; exit 2; }

. scripts/lib/jdk.sh
java="$slmops_java"

echo "bench: building (mvnw package, tests skipped) ..." >&2
./mvnw -q -B -Dmaven.test.skip=true -pl cli,testkit -am package >&2
./mvnw -q -B -pl testkit dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/bench.classpath >&2
hostjvm=("$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx256m -cp "$root/testkit/target/classes:$(cat testkit/target/bench.classpath)")
touch "$root/cli/target/slmops.jar"

cache="$root/.cache/bench"
mkdir -p "$cache"
hf="$cache/$shape-hf"
f16="$cache/$shape-f16.gguf"
if [ ! -f "$hf/config.json" ]; then
  rm -rf "$hf.tmp"; ./slmops init --shape "$shape" --dtype bf16 -o "$hf.tmp" >&2; rm -rf "$hf"; mv "$hf.tmp" "$hf"
fi
if [ ! -f "$f16" ]; then
  rm -f "$f16.tmp.gguf"; ./slmops convert --model "$hf" --to gguf --dtype f16 -o "$f16.tmp.gguf" >&2; mv "$f16.tmp.gguf" "$f16"
fi
mb=$(( $(stat -c %s "$f16") / 1000000 ))

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
out="$cache/quantize-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
echo "machine: $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg); input $f16 ($mb MB), -t $threads, $reps reps"
echo
echo "| type | slmops s | slmops MB/s | llama.cpp s | llama.cpp MB/s | slmops / llama.cpp speed | same bytes |"
echo "|---|---|---|---|---|---|---|"
for t in $types; do
  s_times=(); l_times=()
  for ((i = 0; i < reps; i++)); do
    a=$(now); ./slmops quantize --model "$f16" --type "$t" --output "$out/$t.slmops.gguf" --threads "$threads" --force \
      >/dev/null 2>"$out/$t.slmops.log"; b=$(now)
    s_times+=("$(echo "$b - $a" | bc -l)")
    a=$(now); "${hostjvm[@]}" dev.slmops.testkit.llama.LlamaQuantizeMain "$f16" "$out/$t.llama.gguf" "$t" --threads "$threads" \
      >/dev/null 2>"$out/$t.llama.log"; b=$(now)
    l_times+=("$(echo "$b - $a" | bc -l)")
  done
  s=$(printf '%s\n' "${s_times[@]}" | median); l=$(printf '%s\n' "${l_times[@]}" | median)
  same=$(cmp -s "$out/$t.slmops.gguf" "$out/$t.llama.gguf" && echo yes || echo NO)
  printf '| %s | %.2f | %.1f | %.2f | %.1f | %.2f | %s |\n' "$t" "$s" "$(echo "$mb / $s" | bc -l)" "$l" \
    "$(echo "$mb / $l" | bc -l)" "$(echo "$l / $s" | bc -l)" "$same"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); files and logs in $out"
rm -f "$out"/*.gguf
