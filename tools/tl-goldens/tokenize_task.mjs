// Token ids for a goldens script's --task, from Hugging Face's own JS implementation of tokenizer.json
// (@huggingface/tokenizers, installed by `npm ci` in ../tokenizer-goldens).
// usage: node tokenize_task.mjs TOKENIZER_DIR in.json out.json
//   in:  {"texts": [...], "specials": ["<s>", ...]}   out: {"ids": [[...]], "specials": {"<s>": id or null}}
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';
const here = path.dirname(fileURLToPath(import.meta.url));
const { Tokenizer } = await import(path.join(here, '..', 'tokenizer-goldens', 'node_modules', '@huggingface', 'tokenizers', 'dist', 'tokenizers.mjs'));

const [dir, inp, out] = process.argv.slice(2);
const tj = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(tj, cfg);
const request = JSON.parse(fs.readFileSync(inp, 'utf8'));
const ids = request.texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids);
const specials = {};
for (const s of request.specials ?? []) {
  const found = (tj.added_tokens ?? []).find((a) => a.content === s);
  specials[s] = found ? found.id : (tj.model.vocab?.[s] ?? null);
}
fs.writeFileSync(out, JSON.stringify({ ids, specials }));
