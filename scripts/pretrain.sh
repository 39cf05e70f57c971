#!/usr/bin/env bash
# Pre-training a small Llama from scratch with slmops's own tools, on the corpus of scripts/make-corpus.sh:
#
#   scripts/pretrain.sh [--steps 350] [--threads 1] [--out target/pretrain]
#
#   1. scripts/make-corpus.sh target/corpus          (unless target/corpus/train.jsonl exists)
#   2. slmops init --arch llama --config scripts/pretrain/llama-6x256.json --dtype f32
#        --tokenizer-data target/corpus/train.txt     (a 4096-id byte-level BPE trained on the training text)
#   3. slmops finetune --method full --seq-len 256 --batch-size 4 --lr 2e-3 --scheduler cosine --warmup 20
#        --weight-decay 0.1 on target/corpus/train.jsonl, validated on the first 64 held-out records
# The model lands in OUT/run/model (HF layout, F32), the log in OUT/finetune.log, the curve in OUT/run/loss.svg.
# 350 steps of 4 x 256 tokens took 42 minutes on one thread of a heavily shared 2-core machine (~120 tokens/s).
# finetune has no packing (each {"text"} record is one sequence, cut at --seq-len), hence records of <= ~900 chars.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
steps=350 threads=1 out=target/pretrain
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -f target/corpus/train.jsonl ] || scripts/make-corpus.sh target/corpus
head -n 64 target/corpus/eval.jsonl >target/corpus/eval-64.jsonl
mkdir -p "$out"
./slmops init --arch llama --config scripts/pretrain/llama-6x256.json --dtype f32 \
  --tokenizer-data target/corpus/train.txt -o "$out/init" --force
rm -rf "$out/run"
./slmops finetune --model "$out/init" --method full --data target/corpus/train.jsonl \
  --eval-data target/corpus/eval-64.jsonl --seq-len 256 --threads "$threads" --lr 2e-3 --scheduler cosine --warmup 20 \
  --weight-decay 0.1 --max-steps "$steps" --batch-size 4 --logging-steps 10 --eval-steps 150 --save-steps 100 \
  --save-total-limit 2 --seed 1 -o "$out/run" 2>&1 | tee "$out/finetune.log"
