// Encodes strings with @huggingface/tokenizers, the tokenizer library of transformers.js, from a tokenizer.json
// and tokenizer_config.json, and decodes the ids back (BOS dropped). Prints [{ids, decoded}] as JSON.
// usage: node encode-reference.mjs tokenizer.json tokenizer_config.json texts.json   (SLMOPS_REFERENCES set)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [, , tokenizerJson, tokenizerConfig, textsFile] = process.argv;
const lib = path.join(process.env.SLMOPS_REFERENCES, 'node_modules/@huggingface/tokenizers/dist/tokenizers.mjs');
const { Tokenizer } = await import(pathToFileURL(lib).href);
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const tokenizer = new Tokenizer(read(tokenizerJson), read(tokenizerConfig));
const out = read(textsFile).map((text) => {
  const ids = tokenizer.encode(text).ids;
  return { ids, decoded: ids.length > 1 ? tokenizer.decode(ids.slice(1)) : '' };   // decode refuses []
});
process.stdout.write(JSON.stringify(out));
