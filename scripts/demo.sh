#!/usr/bin/env bash
# The main job on the embedded default, offline: make a SmolLM2-135M-shaped model (random weights, a tokenizer
# trained on the built-in corpus), inspect it, convert it to GGUF, generate from it and benchmark it.
# Everything lands in ${SLMOPS_DEMO_DIR:-./.cache/demo}. Usage: scripts/demo.sh [shape] (default smollm2-135m).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shape="${1:-smollm2-135m}"
dir="${SLMOPS_DEMO_DIR:-$root/.cache/demo}"
s="$root/slmops"
mkdir -p "$dir"
step() { printf '\n== %s\n' "$*" >&2; }

step "init: a random $shape model with a trained byte-level BPE tokenizer"
"$s" init --shape "$shape" --output "$dir/$shape" --force
step "inspect"
"$s" inspect "$dir/$shape"
step "convert to GGUF (f16): a file llama.cpp, Ollama and LM Studio load"
"$s" convert --model "$dir/$shape" --to gguf --dtype f16 --output "$dir/$shape-f16.gguf" --force
step "generate (random weights: expect random text)"
"$s" generate --model "$dir/$shape-f16.gguf" --prompt "Once upon a time" -n 24 --temp 0 --stats
step "bench (short run; use slmops bench -p 512 -n 128 -r 5 for the real figures)"
"$s" bench --model "$dir/$shape-f16.gguf" -p 64 -n 16 -r 2
