#!/usr/bin/env bash
# slmops against llama.cpp, side by side, in one run: the same GGUF files, the same threads, the same tests.
#
#   scripts/bench-vs-llamacpp.sh [--quick] [--threads N (2)] [--reps R (5)] [--kv-type f16|f32 (f16)]
#                                [--shapes smollm2-135m,qwen2.5-0.5b] [--types f16,q8_0,q4_0,q4_k_m,q5_k_m,q6_k]
#
# For the smollm2-135m and qwen2.5-0.5b shapes (random weights: speed does not depend on their values) it makes,
# once, into .cache/bench/ (git-ignored):
#   SHAPE-hf/          slmops init --shape SHAPE --dtype bf16
#   SHAPE-f16.gguf     slmops convert --to gguf --dtype f16
#   SHAPE-q8_0.gguf    llama.cpp's own quantizer (llama_model_quantize, --pure: every 2-D tensor Q8_0)
#   SHAPE-q4_0.gguf    the same, Q4_0
#   SHAPE-q4_k_m.gguf  llama.cpp's own Q4_K_M mix (not --pure: Q4_K with Q6_K for some tensors, and its fallbacks
#                      Q5_0/Q8_0 where a row is not a multiple of 256, as in every qwen2.5-0.5b and smollm2 matrix of
#                      width 896 or 576), so both engines run the file llama.cpp users get
#   SHAPE-q5_k_m.gguf, SHAPE-q6_k.gguf  the same for those mixes, only when --types names them
# then, file by file, runs `slmops bench --output json` and llama.cpp's pp/tg tests (testkit's LlamaBench: what
# llama-bench does, through llama.cpp's C API) one after the other, and prints the markdown table with the ratios
# slmops / llama.cpp for pp512, tg128 and peak RSS. --quick: -p 64 -n 16 -r 1 on smollm2-135m F16 only.
# --shapes, --types: only these rows of the table (comma-separated, from the lists above), to re-measure one.
# --kv-type: the KV cache type of both engines, F16 by default as llama-bench's (slmops' own default is F32: with
# --kv-type f32 both cache F32).
# Results (each tool's JSON, the table) go to .cache/bench/results/<time>/.
#
# Timings are noisy on a shared machine: look at the load average printed first, and compare ratios measured in
# the same run only. With more runnable threads than cores, llama.cpp's -t 2 collapses (ggml spin-waits at a
# barrier after every op for a thread that the scheduler has preempted). A build without `slmops bench` reads n/a.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
root="$PWD"

quick=0
threads=2
reps=""
kv=f16
only_shapes=""
only_types=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --threads) [ $# -ge 2 ] || { echo "--threads needs a value" >&2; exit 2; }; threads="$2"; shift ;;
    --reps) [ $# -ge 2 ] || { echo "--reps needs a value" >&2; exit 2; }; reps="$2"; shift ;;
    --shapes) [ $# -ge 2 ] || { echo "--shapes needs a list" >&2; exit 2; }; only_shapes="$2"; shift ;;
    --types) [ $# -ge 2 ] || { echo "--types needs a list" >&2; exit 2; }; only_types="$2"; shift ;;
    --kv-type) [ $# -ge 2 ] || { echo "--kv-type needs f16 or f32" >&2; exit 2; }; kv="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  p=64; n=16; r=1; shapes=(smollm2-135m); types=(f16)
else
  p=512; n=128; r=5; shapes=(smollm2-135m qwen2.5-0.5b); types=(f16 q8_0 q4_0 q4_k_m)
fi
[ -n "$only_types" ] && types=(f16 q8_0 q4_0 q4_k_m q5_k_m q6_k) # --types may also name the other K-quant mixes
r="${reps:-$r}"
# keep_only NAME LIST ALLOWED...: the ALLOWED entries named in the comma-separated LIST (all when it is empty)
keep_only() {
  local what="$1" list="$2" a w; shift 2
  if [ -z "$list" ]; then printf '%s\n' "$@"; return; fi
  for w in ${list//,/ }; do
    for a in "$@"; do [ "$a" = "$w" ] && continue 2; done
    echo "--$what: $w is not one of: $*" >&2; return 2
  done
  for a in "$@"; do [[ ",$list," == *",$a,"* ]] && echo "$a"; done
  return 0
}
shapes_text="$(keep_only shapes "$only_shapes" "${shapes[@]}")" || exit 2
types_text="$(keep_only types "$only_types" "${types[@]}")" || exit 2
mapfile -t shapes <<<"$shapes_text"
mapfile -t types <<<"$types_text"
[[ "$r" =~ ^[1-9][0-9]*$ && "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "--reps and --threads take whole numbers >= 1" >&2; exit 2; }
[[ "$kv" == f16 || "$kv" == f32 ]] || { echo "--kv-type takes f16 or f32, not $kv" >&2; exit 2; }

. scripts/lib/jdk.sh
java="$slmops_java"

# ---- build: the CLI jar and testkit's classes (tests are not compiled) ----
echo "bench: building (mvnw package, tests skipped) ..." >&2
./mvnw -q -B -Dmaven.test.skip=true -pl cli,testkit -am package >&2
./mvnw -q -B -pl testkit dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile=target/bench.classpath >&2
testkit=(-cp "$root/testkit/target/classes:$(cat testkit/target/bench.classpath)")
# The JVM that hosts llama.cpp: small heap, serial GC, so that it adds little memory and no threads of its own.
hostjvm=("$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx256m "${testkit[@]}")
touch "$root/cli/target/slmops.jar" # built just now: keep ./slmops from rebuilding it on each call

# ---- the model files, made once ----
cache="$root/.cache/bench"
mkdir -p "$cache"
make_models() {
  local shape="$1" hf="$cache/$1-hf" f16="$cache/$1-f16.gguf" t
  if [ ! -f "$hf/config.json" ]; then
    echo "bench: slmops init --shape $shape --dtype bf16" >&2
    rm -rf "$hf.tmp"
    ./slmops init --shape "$shape" --dtype bf16 -o "$hf.tmp" >&2
    rm -rf "$hf" && mv "$hf.tmp" "$hf"
  fi
  if [ ! -f "$f16" ]; then
    echo "bench: slmops convert $shape -> F16 GGUF" >&2
    rm -f "$f16.tmp.gguf"
    ./slmops convert --model "$hf" --to gguf --dtype f16 -o "$f16.tmp.gguf" >&2
    mv "$f16.tmp.gguf" "$f16"
  fi
  for t in "${types[@]}"; do
    [ "$t" = f16 ] && continue
    if [ ! -f "$cache/$shape-$t.gguf" ]; then
      local pure=(--pure) # one type for every matrix, except for the named mixes
      [[ "$t" == q*_k* ]] && pure=() # the K-quant mixes as llama.cpp users get them
      echo "bench: llama.cpp quantize $shape -> ${t^^} ${pure[*]}" >&2
      "${hostjvm[@]}" dev.slmops.testkit.llama.LlamaQuantizeMain "$f16" "$cache/$shape-$t.gguf" "$t" "${pure[@]}" \
        --threads "$threads" 2>"$cache/quantize.log" || { cat "$cache/quantize.log" >&2; exit 1; }
    fi
  done
}
for shape in "${shapes[@]}"; do make_models "$shape"; done

has_slmops_bench=1
if ! ./slmops --help 2>/dev/null | grep -qE '^[[:space:]]+bench[[:space:]]'; then
  has_slmops_bench=0
  echo "bench: WARNING: this build has no 'slmops bench'; only llama.cpp runs (slmops columns: n/a)" >&2
fi

# ---- the runs, one after the other ----
out="$cache/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
{
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: -p $p -n $n -r $r -t $threads, ${kv^^} KV cache on both; llama.cpp: llama-bench defaults otherwise (-b 2048 -ub 512, -fa auto, poll 50)"
} | tee "$out/header.txt"
rows=()
for shape in "${shapes[@]}"; do
  for t in "${types[@]}"; do
    f="$cache/$shape-$t.gguf"
    s_json="$out/$shape-$t.slmops.json"
    l_json="$out/$shape-$t.llama.json"
    if [ "$has_slmops_bench" = 1 ]; then
      echo "bench: slmops    $shape ${t^^}" >&2
      if ! ./slmops bench --model "$f" -p "$p" -n "$n" -r "$r" -t "$threads" --kv-type "$kv" --output json >"$s_json" \
           2>"$out/$shape-$t.slmops.log"; then
        echo "bench: slmops bench failed on $f (see $out/$shape-$t.slmops.log):" >&2
        tail -5 "$out/$shape-$t.slmops.log" >&2
        rm -f "$s_json"
      fi
    fi
    echo "bench: llama.cpp $shape ${t^^}" >&2
    if ! "${hostjvm[@]}" dev.slmops.testkit.llama.LlamaBench --model "$f" -p "$p" -n "$n" -r "$r" -t "$threads" \
         -ctk "$kv" --output json >"$l_json" 2>"$out/$shape-$t.llama.log"; then
      echo "bench: llama.cpp failed on $f (see $out/$shape-$t.llama.log):" >&2
      tail -5 "$out/$shape-$t.llama.log" >&2
      rm -f "$l_json"
    fi
    rows+=("$shape" "${t^^}" "$s_json" "$l_json")
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/header.txt"
echo
"${hostjvm[@]}" dev.slmops.testkit.llama.BenchTable "${rows[@]}" | tee "$out/table.md"
echo "bench: results in $out" >&2
