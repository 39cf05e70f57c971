#!/usr/bin/env bash
# The quantization quality table of a model: every GGUF type against F16, slmops's and llama.cpp's quantizers and
# engines side by side, on one held-out text, in one run.
#
#   scripts/quality-table.sh MODEL EVALTEXT [--imatrix-text FILE] [--ctx 256] [--chunks 80] [--threads 1]
#                            [--reps 2] [-p 256] [-n 64] [--types "q8_0 q4_0 ..."] [--no-speed] [--work DIR]
#                            [--render-only]
#
# MODEL: a Hugging Face directory (converted to F16 GGUF with `slmops convert`) or an F16 .gguf file.
# EVALTEXT: UTF-8 text the model was not trained on. Files go to --work (default target/quality/<model name>/).
# For each type (default: q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k_m q4_k_s q4_k_m q5_k_s q5_k_m q6_k):
#   ours-TYPE.gguf    slmops quantize (llama.cpp's per-tensor mixes)
#   llama-TYPE.gguf   llama.cpp's llama_model_quantize on the same F16 file (testkit's LlamaQuantizeMain), and
#                     whether the two files are byte-identical
#   slmops columns    `slmops compare` against the F16 file's saved log-probabilities (--save-base-logits once):
#                     mean / p99 KLD, same-top-1, PPL; `slmops bench` pp/tg tokens/s
#   llama.cpp columns llama.cpp runs both F16 and its own file on the same windows (testkit's LlamaKldMain, the
#                     llama-perplexity method the parity tests use): mean / p99 KLD, same-top-1, PPL; llama-bench's
#                     pp/tg through testkit's LlamaBench
# With --imatrix-text: `slmops imatrix` on that text (the training text, not EVALTEXT) and q4_k_m / q2_k quantized
# with it, compared the same way (slmops only: the testkit quantizer takes no imatrix).
# Windows: --ctx tokens each (use the length the model was trained on), the first --chunks of EVALTEXT, the second
# half of each scored, as llama-perplexity. All tools run with --threads threads (llama.cpp's KLD contexts too).
# --render-only makes the table again from the files and logs already in WORK (e.g. of a run stopped during the
# speed part: missing figures read n/a). Prints the markdown and writes it to WORK/table.md. Timings on a shared machine are noisy: the load average is
# printed beside them.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
root="$PWD"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
ctx=256 chunks=80 threads=1 reps=2 np=256 ng=64 speed=1 work="" imatrix_text="" render_only=0
types="q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k_m q4_k_s q4_k_m q5_k_s q5_k_m q6_k"
pos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ctx) ctx="$2"; shift ;;
    --chunks) chunks="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    -p) np="$2"; shift ;;
    -n) ng="$2"; shift ;;
    --types) types="$2"; shift ;;
    --no-speed) speed=0 ;;
    --render-only) render_only=1 ;;
    --work) work="$2"; shift ;;
    --imatrix-text) imatrix_text="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    *) pos+=("$1") ;;
  esac
  shift
done
[ ${#pos[@]} -eq 2 ] || { usage >&2; exit 2; }
model="$(readlink -f "${pos[0]}")"
evaltext="$(readlink -f "${pos[1]}")"
[ -e "$model" ] || { echo "model not found: ${pos[0]} (a Hugging Face directory or an F16 .gguf file)" >&2; exit 2; }
[ -f "$evaltext" ] || { echo "evaluation text not found: ${pos[1]}" >&2; exit 2; }
[ -z "$imatrix_text" ] || [ -f "$imatrix_text" ] || { echo "imatrix text not found: $imatrix_text" >&2; exit 2; }
for v in "$ctx" "$chunks" "$threads" "$reps" "$np" "$ng"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "--ctx, --chunks, --threads, --reps, -p, -n take whole numbers >= 1" >&2; exit 2; }
done
name="$(basename "${model%.gguf}")"
work="${work:-$root/target/quality/$name}"
mkdir -p "$work"
log="$work/log"
mkdir -p "$log"

step() { echo "quality-table: $*" >&2; }
# "Mean    KLD:   0.001234 ± ..." -> 0.001234; "99.0%   KLD:   0.01" -> 0.01; "Same top p: 97.123 ± ..." -> 97.123
field() { sed -n "s/^$2[[:space:]]*:[[:space:]]*\([-0-9.eE+naif]*\).*/\1/p" "$1" | head -1; }
ours_quality() { # FILE -> "kld p99 top1% ppl"
  echo "$(field "$1" 'Mean    KLD') $(field "$1" '99.0%   KLD') $(field "$1" 'Same top p') $(field "$1" 'Mean PPL(Q)')"
}

. scripts/lib/jdk.sh
java="$slmops_java"
if [ "$render_only" = 0 ]; then
echo "quality-table: building (mvnw package, tests skipped) ..." >&2
./mvnw -q -B -Dmaven.test.skip=true -pl cli,testkit -am package >&2
./mvnw -q -B -pl testkit dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile=target/bench.classpath >&2
touch "$root/cli/target/slmops.jar" # built just now: keep ./slmops from rebuilding it on each call
testkit=("$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx2g -Dslmops.llama.threads="$threads"
  -cp "$root/testkit/target/classes:$(cat testkit/target/bench.classpath)")
slmops() { "$root/slmops" "$@"; }

# ---- files ----
f16="$work/f16.gguf"
if [[ "$model" == *.gguf ]]; then
  f16="$model"
elif [ ! -f "$f16" ]; then
  step "convert $name -> F16 GGUF"
  slmops convert --model "$model" --to gguf --dtype f16 -o "$f16.tmp.gguf" >"$log/convert.txt" 2>&1
  mv "$f16.tmp.gguf" "$f16"
fi
variants=()
for t in $types; do
  [ -f "$work/ours-$t.gguf" ] || { step "slmops quantize $t"; slmops quantize -m "$f16" -t "$t" --threads "$threads" \
    -o "$work/ours-$t.gguf" --force >"$log/quantize-ours-$t.txt" 2>&1; }
  [ -f "$work/llama-$t.gguf" ] || { step "llama.cpp quantize $t"; "${testkit[@]}" dev.slmops.testkit.llama.LlamaQuantizeMain \
    "$f16" "$work/llama-$t.gguf" "$t" --threads "$threads" >"$log/quantize-llama-$t.txt" 2>&1; }
  variants+=("$t")
done
imat_types=()
if [ -n "$imatrix_text" ]; then
  [ -f "$work/imatrix.gguf" ] || { step "slmops imatrix on $(basename "$imatrix_text")"; slmops imatrix -m "$f16" \
    -f "$imatrix_text" -c "$ctx" --chunks 64 --threads "$threads" -o "$work/imatrix.gguf" --force >"$log/imatrix.txt" 2>&1; }
  for t in q4_k_m q2_k; do
    [ -f "$work/ours-$t-imatrix.gguf" ] || { step "slmops quantize $t --imatrix"; slmops quantize -m "$f16" -t "$t" \
      --imatrix "$work/imatrix.gguf" --threads "$threads" -o "$work/ours-$t-imatrix.gguf" --force \
      >"$log/quantize-ours-$t-imatrix.txt" 2>&1; }
    imat_types+=("$t-imatrix")
  done
fi

# ---- quality: slmops compare against the saved F16 log-probabilities; llama.cpp end to end ----
window=(-c "$ctx" --chunks "$chunks" -t "$threads")
step "slmops: F16 log-probabilities of $(basename "$evaltext") ($chunks windows of $ctx)"
slmops compare --base "$f16" -m "$f16" -f "$evaltext" "${window[@]}" --save-base-logits "$work/f16.logits" --force \
  >"$log/compare-f16.txt" 2>&1
for v in "${variants[@]}" "${imat_types[@]}"; do
  step "slmops compare $v"
  slmops compare --base-logits "$work/f16.logits" -m "$work/ours-$v.gguf" -t "$threads" >"$log/compare-ours-$v.txt" 2>&1
done
for v in f16 "${variants[@]}"; do
  file="$work/llama-$v.gguf"; [ "$v" = f16 ] && file="$f16"
  step "llama.cpp KLD $v"
  "${testkit[@]}" dev.slmops.testkit.llama.LlamaKldMain "$f16" "$file" "$evaltext" --ctx "$ctx" --chunks "$chunks" \
    >"$log/kld-llama-$v.json" 2>"$log/kld-llama-$v.err"
done

# ---- speed ----
echo "$(cut -d' ' -f1-3 /proc/loadavg)" >"$log/load-before.txt"
if [ "$speed" = 1 ]; then
  for v in f16 "${variants[@]}"; do
    ours="$work/ours-$v.gguf" llama="$work/llama-$v.gguf"
    [ "$v" = f16 ] && ours="$f16" llama="$f16"
    step "slmops bench $v"
    slmops bench -m "$ours" -p "$np" -n "$ng" -r "$reps" -t "$threads" --output json >"$log/bench-ours-$v.json" \
      2>"$log/bench-ours-$v.err" || rm -f "$log/bench-ours-$v.json"
    step "llama-bench $v"
    "${testkit[@]}" dev.slmops.testkit.llama.LlamaBench --model "$llama" -p "$np" -n "$ng" -r "$reps" -t "$threads" \
      --output json >"$log/bench-llama-$v.json" 2>"$log/bench-llama-$v.err" || rm -f "$log/bench-llama-$v.json"
  done
fi
echo "$(cut -d' ' -f1-3 /proc/loadavg)" >"$log/load-after.txt"
fi # render_only
f16="$work/f16.gguf"; [[ "$model" == *.gguf ]] && f16="$model"
variants=($types)
imat_types=()
if [ -n "$imatrix_text" ] || [ -f "$work/ours-q4_k_m-imatrix.gguf" ]; then imat_types=(q4_k_m-imatrix q2_k-imatrix); fi
load_before="$(cat "$log/load-before.txt" 2>/dev/null || echo n/a)"
load_after="$(cat "$log/load-after.txt" 2>/dev/null || echo n/a)"

# ---- the table ----
tps() { # JSON PP|TG -> mean tokens/s
  [ -f "$1" ] || { echo n/a; return; }
  local sel='.n_gen == 0'; [ "$2" = TG ] && sel='.n_prompt == 0'
  jq -r "[.tests[] | select($sel) | .tokens_per_s.mean][0] // \"n/a\" | if type == \"number\" then (. * 10 | round / 10) else . end" "$1"
}
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.2f", b / 1048576 }'; }
f16_bytes="$(stat -c %s "$f16")"
jqf() { jq -r "$2" "$1" 2>/dev/null || echo n/a; }
num() { awk -v x="$1" -v f="$2" 'BEGIN { if (x ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) printf f, x; else printf "%s", x }'; }
{
  echo "Model: \`$name\` ($(jq -r '"\(.num_hidden_layers) layers, hidden \(.hidden_size), intermediate \(.intermediate_size), vocab \(.vocab_size)"' "$model/config.json" 2>/dev/null || echo F16 GGUF)), F16 GGUF $(mib "$f16") MiB."
  echo "Text: \`$(basename "$evaltext")\`, windows of $ctx tokens, second half of each scored: slmops columns $chunks windows ($((chunks * (ctx - 1 - ctx / 2))) positions), llama.cpp columns $(jqf "$log/kld-llama-f16.json" .positions) positions."
  echo "PPL of F16: slmops $(num "$(field "$log/compare-f16.txt" 'Mean PPL(base)')" %.3f), llama.cpp $(num "$(jqf "$log/kld-llama-f16.json" .ppl_base)" %.3f)."
  echo
  echo "| type | size MiB | vs F16 | same file as llama.cpp | slmops KLD mean | KLD p99 | same top-1 % | PPL | llama.cpp KLD mean | KLD p99 | same top-1 % | PPL |"
  echo "| --- | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for v in "${variants[@]}" "${imat_types[@]}"; do
    f="$work/ours-$v.gguf"
    read -r kld p99 top ppl <<<"$(ours_quality "$log/compare-ours-$v.txt")"
    same="n/a"; lk="n/a" lp="n/a" lt="n/a" lppl="n/a"
    if [ -f "$work/llama-$v.gguf" ]; then
      cmp -s "$f" "$work/llama-$v.gguf" && same=yes || same=no
      j="$log/kld-llama-$v.json"
      lk="$(jqf "$j" .kld_mean)"; lp="$(jqf "$j" .kld_p99)"; lt="$(jqf "$j" '.same_top1 * 100')"; lppl="$(jqf "$j" .ppl)"
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${v^^}" "$(mib "$f")" \
      "$(awk -v a="$(stat -c %s "$f")" -v b="$f16_bytes" 'BEGIN { printf "%.2fx (-%.0f%%)", b / a, 100 * (1 - a / b) }')" \
      "$same" "$(num "$kld" %.6f)" "$(num "$p99" %.6f)" "$(num "$top" %.2f)" "$(num "$ppl" %.2f)" \
      "$(num "$lk" %.6f)" "$(num "$lp" %.6f)" "$(num "$lt" %.2f)" "$(num "$lppl" %.2f)"
  done
  if [ "$speed" = 1 ]; then
    echo
    echo "Speed, tokens/s, $threads thread(s), pp$np / tg$ng, $reps repetitions (load average before $load_before, after $load_after):"
    echo
    echo "| type | slmops pp | llama.cpp pp | slmops tg | llama.cpp tg |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    for v in f16 "${variants[@]}"; do
      printf '| %s | %s | %s | %s | %s |\n' "${v^^}" "$(tps "$log/bench-ours-$v.json" PP)" "$(tps "$log/bench-llama-$v.json" PP)" \
        "$(tps "$log/bench-ours-$v.json" TG)" "$(tps "$log/bench-llama-$v.json" TG)"
    done
  fi
} | tee "$work/table.md"
step "table in $work/table.md, logs in $log"
