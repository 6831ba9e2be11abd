// Reference token ids for hard strings, from Hugging Face's own tokenizer.json implementation
// (npm @huggingface/tokenizers, pinned in package.json), for every tokenizer.json the test fixtures
// ship. Run from this folder: npm install && node make-goldens.mjs
// Writes ../../tests/fixtures/tokenizers/hard-strings.json; the C# tests compare against it.
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";

const models = ["tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a"];
const strings = [
  "Hello world", " Hello world", "Hello world ", "  two leading spaces", "trailing two  ", "a  b   c    d",
  "line one\nline two", "\n\nblank lines\n\n", "tab\there", "\t\tleading tabs", "mixed \t\n whitespace",
  "1234567890", "3.14159 and 2,718", "1st 2nd 3rd 100th", "I'm you're he's we'll they'd it's", "DON'T SHOUT",
  "café naïve résumé Ångström", "façade coöperate", "日本語のテキスト", "中文文本，标点。", "한국어 텍스트",
  "emoji 😀 and 👍🏽 and 🇩🇪", "mathematical 𝒜𝓁𝓅𝒽𝒶 letters", "Review: Great food. Sentiment: positive",
  "<|endoftext|> in the middle <|endoftext|>", "<s> and </s> as text", "<|im_start|>user", "ß ẞ ﬁ ligature",
  "zero\u200bwidth", "e\u0301 combining accent",
];

const out = { generator: "@huggingface/tokenizers 0.2.0, encode(text, { add_special_tokens: false })", strings, ids: {} };
for (const model of models) {
  const dir = `../../tests/fixtures/models/${model}`;
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")));
  out.ids[model] = strings.map((s) => tokenizer.encode(s, { add_special_tokens: false }).ids);
}
mkdirSync("../../tests/fixtures/tokenizers", { recursive: true });
writeFileSync("../../tests/fixtures/tokenizers/hard-strings.json", JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${strings.length} strings x ${models.length} tokenizers`);
