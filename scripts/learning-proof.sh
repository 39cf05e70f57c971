#!/usr/bin/env bash
# The learning proof (issue 5): a tiny random-weight model cannot do the shift task (four letters in, each letter's
# successor out); fine-tuning it on 2000 examples makes it answer held-out questions it never saw.
#   1. slmops init        a random tiny Llama (the tiny-llama shape: 2 layers, 64 wide, 512-token BPE vocab)
#   2. slmops eval        accuracy on the 200 held-out questions before training (expected ~0)
#   3. slmops finetune    full fine-tuning, then LoRA (all seven projections), on the 2000 training questions
#   4. slmops eval        accuracy after, with the full model and with the base under the LoRA adapter
# usage: scripts/learning-proof.sh [WORK_DIR]      (env: SHAPE, EPOCHS, LORA_EPOCHS, FULL_LR, LORA_LR, LORA_R, BATCH, LIMIT,
#                                                    FULL_ARGS / LORA_ARGS: extra finetune flags)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
slmops="$root/slmops"
work="${1:-$(mktemp -d /tmp/learning-proof.XXXXXX)}"
samples="$root/train/src/main/resources/dev/slmops/train/data/samples"
train="$samples/shift-train.jsonl"
test="$samples/shift-test.jsonl"
shape="${SHAPE:-tiny-llama}"
epochs="${EPOCHS:-4}"
lora_epochs="${LORA_EPOCHS:-16}"
batch="${BATCH:-16}"
limit="${LIMIT:-0}"
mkdir -p "$work"
[ -f "$train" ] && [ -f "$test" ] || "$root/scripts/make-shift-task.sh" "$samples"

# accuracy line of `slmops eval` ("accuracy 0.0000 (0/200, 95% CI 0.0000-0.0188, exact)"), the rest to a log
evaluate() { # label, eval args...
  local label="$1"; shift
  local out
  out="$("$slmops" eval --data "$test" --max-tokens 10 --limit "$limit" --show-failures 3 "$@" 2>>"$work/eval.log")"
  echo "$out" | sed "s/^/  [$label] /" >&2
  echo "$out" | head -1
}

# the directory (or .gguf) that finetune wrote, among the paths it printed: the one holding $1
written() { # marker file (config.json | adapter_config.json), finetune stdout file
  local p
  while read -r p; do
    [ -z "$p" ] && continue
    if [ -f "$p/$1" ]; then echo "$p"; return 0; fi
    if [ -f "$(dirname "$p")/$1" ]; then dirname "$p"; return 0; fi
    if [ "$1" = adapter_config.json ] && [[ "$p" == *.gguf ]]; then echo "$p"; return 0; fi
  done < "$2"
  for p in "$(dirname "$2")" "$(dirname "$2")"/*/; do [ -f "$p/$1" ] && { echo "${p%/}"; return 0; }; done
  return 1
}

finetune() { # name, finetune args...
  local name="$1"; shift
  local start end
  start=$(date +%s)
  if ! "$slmops" finetune --model "$work/base" --data "$train" --output "$work/$name" \
      --batch-size "$batch" --seq-len 32 --save-steps 0 --logging-steps 25 --seed 7 "$@" \
      > "$work/$name.stdout" 2> "$work/$name.log"; then
    echo "finetune $name failed (log: $work/$name.log):" >&2
    tail -3 "$work/$name.log" >&2
    return 1
  fi
  end=$(date +%s)
  echo "$((end - start))" > "$work/$name.seconds"
  grep -E "^done|fine-tuning:" "$work/$name.log" | tr '\r' '\n' | grep -E "^done|fine-tuning:" | sed "s/^/  [$name] /" >&2 || true
}

echo "== work dir $work" >&2
"$slmops" init --shape "$shape" --dtype f32 --seed 42 --force -o "$work/base" >&2
before="$(evaluate before -m "$work/base")"
echo "before fine-tuning: $before"

if ! "$slmops" --help 2>/dev/null | grep -qE "^ +finetune "; then
  echo "slmops finetune is not in this build yet (it lands on main with the trainer branch): only the 'before' eval ran."
  exit 0
fi

full_after="(not run)"; lora_after="(not run)"; full_s="-"; lora_s="-"
if finetune full --epochs "$epochs" --method full --lr "${FULL_LR:-3e-3}" --scheduler cosine --warmup 0.05 ${FULL_ARGS:-}; then
  full_s="$(cat "$work/full.seconds")"
  if model="$(written config.json "$work/full.stdout")"; then
    full_after="$(evaluate full -m "$model")"
  else
    full_after="(finetune wrote no model directory; see $work/full.stdout)"
  fi
fi
if finetune lora --epochs "$lora_epochs" --method lora --lora-r "${LORA_R:-16}" --lora-alpha "$((2 * ${LORA_R:-16}))" --lora-dropout 0 \
    --lr "${LORA_LR:-5e-3}" --scheduler cosine --warmup 0.05 ${LORA_ARGS:-}; then
  lora_s="$(cat "$work/lora.seconds")"
  if adapter="$(written adapter_config.json "$work/lora.stdout")"; then
    lora_after="$(evaluate lora -m "$work/base" --adapter "$adapter")"
  else
    lora_after="(finetune wrote no adapter; see $work/lora.stdout)"
  fi
fi

echo
echo "shift task, $(wc -l < "$test") held-out questions, model $shape, $epochs (full) / $lora_epochs (LoRA) epochs over $(wc -l < "$train") examples"
printf '%-8s %-60s %s\n' "" "accuracy" "train seconds"
printf '%-8s %-60s %s\n' "before" "$before" "-"
printf '%-8s %-60s %s\n' "full" "$full_after" "$full_s"
printf '%-8s %-60s %s\n' "lora" "$lora_after" "$lora_s"
