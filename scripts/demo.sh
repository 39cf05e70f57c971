#!/usr/bin/env bash
# The main job on the embedded default, offline, on a model slmops makes itself: create a SmolLM2-135M-shaped model
# (random weights, a tokenizer trained on the built-in corpus), fine-tune a LoRA adapter on the bundled chat sample,
# merge it and quantize to Q8_0 in one step, generate from the result, serve it on an OpenAI-compatible endpoint and
# ask it one question, and benchmark it.
# Everything lands in ${SLMOPS_DEMO_DIR:-./.cache/demo}. Usage: scripts/demo.sh [shape] (default smollm2-135m).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shape="${1:-smollm2-135m}"
dir="${SLMOPS_DEMO_DIR:-$root/.cache/demo}"
s="$root/slmops"
data="$root/train/src/main/resources/dev/slmops/train/data/samples/chat.jsonl"
mkdir -p "$dir"
step() { printf '\n== %s\n' "$*" >&2; }

step "init: a random $shape model with a trained byte-level BPE tokenizer"
"$s" init --shape "$shape" --output "$dir/$shape" --force
step "inspect"
"$s" inspect "$dir/$shape"
step "finetune: LoRA r=8 on q/k/v/o over the bundled chat sample (a few steps: a demo, not a training run)"
rm -rf "$dir/lora"
"$s" finetune --model "$dir/$shape" --data "$data" --method lora --lora-r 8 --lora-alpha 16 \
    --target-modules q_proj,k_proj,v_proj,o_proj --seq-len 128 --batch-size 2 --max-steps 4 --lr 1e-3 \
    --output "$dir/lora"
step "quantize: merge the adapter and write Q8_0 GGUF in one pass (a file llama.cpp and Ollama load)"
"$s" quantize --model "$dir/$shape" --adapter "$dir/lora/adapter" --type q8_0 --output "$dir/$shape-lora-q8_0.gguf" --force
step "generate (random base weights: expect random text)"
"$s" generate --model "$dir/$shape-lora-q8_0.gguf" --prompt "Once upon a time" -n 24 --temp 0 --stats
step "serve: an OpenAI-compatible endpoint on 127.0.0.1, one chat request, then stop"
port=$(( 20000 + RANDOM % 20000 ))
"$s" serve --model demo="$dir/$shape-lora-q8_0.gguf" --port "$port" --no-cache > "$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"demo","messages":[{"role":"user","content":"What is 7 plus 5?"}],"max_tokens":12,"temperature":0}'
echo
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
trap - EXIT
step "bench (short run; use slmops bench -p 512 -n 128 -r 5 for the real figures)"
"$s" bench --model "$dir/$shape-lora-q8_0.gguf" -p 64 -n 16 -r 2
