"""TransformerLens goldens for Phi-3: tests/fixtures/goldens/families/tiny-phi3-a-{processed,raw}.json.

tiny-phi3-a is not committed: the tests write it from tests/IclNotebook.Tests/Families/SeededCheckpoints.cs, and this
script writes the same checkpoint by the same recipe (seeded.draw): Hugging Face's Phi-3 layout in BF16, 2 layers, d_model
64, 4 query and 2 key/value heads, fused qkv_proj and gate_up_proj, d_mlp 128, Phi-3's 32,064-token vocabulary, untied
head, Phi-3-mini-4k's sliding_window 2047 (prompts are shorter), tiny-llama-a's tokenizer and golden tokens (`<s>`
prepended, as TL does for Phi-3). Every tensor is drawn from SplitMix64 (the seed is an argument, recorded in the golden;
the default, 5, is the first of 1-12 whose clean-corrupted gap is above 1 nat with every prompt's clean answer likelier:
2.2 nats).
TL 2.18 loads a local Phi-3 checkpoint by its own route ("local", no corrections), so semantics="tl" runs here.

    TL_HOME=... /usr/bin/python3 tools/tl-goldens/phi3.py [--seed N] [--task FILE]     (set up TL_HOME as ../shared/tl-harness/README.md says)
"""


import family_golden
import torch
from seeded import draw

CONFIG = {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 64, "intermediate_size": 128,
          "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu",
          "max_position_embeddings": 4096, "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
          "rope_scaling": None, "sliding_window": 2047, "attention_bias": False, "attention_dropout": 0.0, "embd_pdrop": 0.0,
          "resid_pdrop": 0.0, "initializer_range": 0.02, "vocab_size": 32064, "tie_word_embeddings": False, "bos_token_id": 1,
          "eos_token_id": 32000, "pad_token_id": 32000, "use_cache": True, "torch_dtype": "bfloat16"}


def shapes():
    d, heads, kv, d_head, mlp, vocab = 64, 4, 2, 16, 128, 32064
    out = {"model.embed_tokens.weight": [vocab, d], "model.norm.weight": [d], "lm_head.weight": [vocab, d]}
    for layer in range(2):
        p = f"model.layers.{layer}."
        out.update({p + "input_layernorm.weight": [d], p + "post_attention_layernorm.weight": [d],
                    p + "self_attn.qkv_proj.weight": [(heads + 2 * kv) * d_head, d], p + "self_attn.o_proj.weight": [d, heads * d_head],
                    p + "mlp.gate_up_proj.weight": [2 * mlp, d], p + "mlp.down_proj.weight": [d, mlp]})
    return out


def write_checkpoint(folder, seed):
    return draw(folder, CONFIG, "tiny-llama-a", shapes(), seed, torch.bfloat16)


if __name__ == "__main__":
    family_golden.main(__doc__, "tiny-phi3-a", "phi3", write_checkpoint, "tiny-llama-a", "tl", default_seed=5)
