// Renders chat-template cases with transformers.js (the reference our Java ChatTemplate must match byte for byte).
// Usage: node render-reference.cjs <cases.json>   (SLMOPS_REFERENCES points at the folder holding node_modules)
// cases.json: {"cases": [{"id", "tokenizerDir", "chat_template" (null: the tokenizer's own), "special_tokens"
//   (null: the tokenizer's own; else {bos_token, eos_token}, the others unset), "messages", "add_generation_prompt",
//   "tools", "kwargs"}]}. Prints a JSON array [{"id", "text"} | {"id", "error"}] on stdout.
const path = require('node:path');
const fs = require('node:fs');
const Module = require('node:module');

// transformers.js's node build loads the image library sharp at start-up; tokenizers never use it and it is not
// installed (optional dependency), so hand it a stub.
const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'sharp') return function sharpNotInstalled() { throw new Error('sharp is not installed'); };
  return originalLoad.apply(this, arguments);
};

const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

(async () => {
  const references = process.env.SLMOPS_REFERENCES;
  const { AutoTokenizer, env } = require(path.join(references, 'node_modules/@huggingface/transformers'));
  env.allowRemoteModels = false;
  const { cases } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const tokenizers = new Map();
  const results = [];
  for (const c of cases) {
    let tokenizer = tokenizers.get(c.tokenizerDir);
    if (!tokenizer) {
      env.localModelPath = path.dirname(c.tokenizerDir) + path.sep;
      tokenizer = await AutoTokenizer.from_pretrained(path.basename(c.tokenizerDir), { local_files_only: true });
      tokenizers.set(c.tokenizerDir, tokenizer);
    }
    const options = { tokenize: false, add_generation_prompt: c.add_generation_prompt, tools: c.tools ?? null,
      ...(c.kwargs ?? {}) };
    if (c.chat_template != null) options.chat_template = c.chat_template;
    if (c.special_tokens != null) {
      for (const key of SPECIAL_TOKEN_KEYS) options[key] = c.special_tokens[key] ?? undefined;
    }
    try {
      results.push({ id: c.id, text: tokenizer.apply_chat_template(c.messages, options) });
    } catch (e) {
      results.push({ id: c.id, error: String(e && e.message !== undefined ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(results));
})().catch((e) => { console.error(e); process.exit(1); });
