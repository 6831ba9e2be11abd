"""TransformerLens goldens for a Llama 3 scaled rope: tests/fixtures/goldens/families/tiny-llama3-a-{processed,raw}.json.

tiny-llama3-a is tiny-llama-a's weights and tokenizer (symlinked) under a config with rope_theta 20000 and rope_scaling
llama3 (factor 8, low/high 1/4, original context 64, so each band holds some of the eight frequencies of d_head 16).
TL 2.18 reads a local checkpoint's rope_scaling only with the harness's semantics="hf" (it sets TL's own
use_NTK_by_parts_rope fields from the config, as TL does for its named Llama-3.x models), so that is what runs here.
The prompts are tiny-llama-a's golden tokens (same tokenizer). Written in the schema of the other family goldens
(../shared/fixtures/README.md).

    TL_HOME=... /usr/bin/python3 tools/tl-goldens/llama3_rope.py      (set up TL_HOME as ../shared/tl-harness/README.md says)
"""
import os

import family_golden

if __name__ == "__main__":
    family_golden.write("tiny-llama3-a", os.path.join(family_golden.FIXTURES, "models", "tiny-llama3-a"), "llama",
                        family_golden.source_golden("tiny-llama-a"), "hf", "tools/tl-goldens/llama3_rope.py")
