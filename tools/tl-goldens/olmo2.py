"""Goldens for OLMo-2 from an independent float64 forward: tests/fixtures/goldens/families/tiny-olmo2-a-{processed,raw}.json.

TransformerLens 2.18 has no OLMo-2 (no Olmo* anywhere in transformer_lens/), so the reference here is the model as Hugging
Face's modelling code defines it (transformers' models/olmo2: Olmo2DecoderLayer, Olmo2Attention, Olmo2RMSNorm), written out
in float64 with torch from that definition: no norm before attention or the MLP; RMSNorm (weight * x / rms) of each one's
output before it joins the residual stream; q_norm and k_norm over each token's whole q and k projection (all heads at
once), before the rotation; Llama's rotary (halves) and SwiGLU; untied head; final RMSNorm. Its activations are recorded
under the names and in the order of the kit's hooks (TL's conventions: ln1_post/ln2_post as Gemma 2's, hook_scale the
divisor), in the family goldens' schema, with the patching grids computed by patching this forward: resid_pre per
(layer, position) and the five head panels (output z, q, k, v, pattern; all positions), the metric the goldens' (mean over
prompts of the answer's log-prob at the last real token). "processed" is the same model with TL's processing for an RMS
model: ln_final folded into W_U and the unembedding centred over the vocabulary, which subtracts each row's mean logit.

tiny-olmo2-a is not committed: the tests write it from tests/IclNotebook.Tests/Families/SeededCheckpoints.cs and this script
writes the same checkpoint (seeded.draw): Hugging Face's OLMo-2 layout in BF16, 2 layers, d_model 64, 4 heads of 16 (no
grouping, as OLMo-2 1B-13B), d_mlp 128, rope_theta 500000 (OLMo-2 1B's), untied head, a 32,000-token vocabulary and
tiny-llama-a's tokenizer and golden tokens (OLMo-2's own 100k tokenizer is cl100k-style byte-level BPE, the kind the
Llama 3 and Qwen2 tokenizer tests cover).

    TL_HOME=... /usr/bin/python3 tools/tl-goldens/olmo2.py [--seed N] [--task FILE]   (TL_HOME only for family_golden's helpers)
"""
import json, os, sys, tempfile

import family_golden
import torch
from seeded import draw
from st_io import read_safetensors

D, HEADS, D_HEAD, MLP, VOCAB, LAYERS, THETA, EPS = 64, 4, 16, 128, 32000, 2, 500000.0, 1e-6
CONFIG = {"architectures": ["Olmo2ForCausalLM"], "model_type": "olmo2", "hidden_size": D, "intermediate_size": MLP,
          "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "hidden_act": "silu",
          "max_position_embeddings": 4096, "rms_norm_eps": EPS, "rope_theta": THETA, "rope_scaling": None, "attention_bias": False,
          "attention_dropout": 0.0, "initializer_range": 0.02, "vocab_size": VOCAB, "tie_word_embeddings": False,
          "pad_token_id": 0, "eos_token_id": 2, "use_cache": True, "torch_dtype": "bfloat16"}
DEFAULT_SEED = 33  # the first of 1-40 whose gap is above 1 nat (1.5 nats; every prompt likelier clean; 1-12 gave at most 0.5)


def shapes():
    out = {"model.embed_tokens.weight": [VOCAB, D], "model.norm.weight": [D], "lm_head.weight": [VOCAB, D]}
    for l in range(LAYERS):
        p = f"model.layers.{l}."
        out.update({p + "post_attention_layernorm.weight": [D], p + "post_feedforward_layernorm.weight": [D],
                    p + "self_attn.q_proj.weight": [HEADS * D_HEAD, D], p + "self_attn.k_proj.weight": [HEADS * D_HEAD, D],
                    p + "self_attn.v_proj.weight": [HEADS * D_HEAD, D], p + "self_attn.o_proj.weight": [D, HEADS * D_HEAD],
                    p + "self_attn.q_norm.weight": [HEADS * D_HEAD], p + "self_attn.k_norm.weight": [HEADS * D_HEAD],
                    p + "mlp.gate_proj.weight": [MLP, D], p + "mlp.up_proj.weight": [MLP, D], p + "mlp.down_proj.weight": [D, MLP]})
    return out


def write_checkpoint(folder, seed):
    return draw(folder, CONFIG, "tiny-llama-a", shapes(), seed, torch.bfloat16)


class Olmo2:
    """The float64 forward. `hooks` maps a hook name to a function of the activation (returning a replacement or None)."""

    def __init__(self, folder, processed):
        self.w = {k: v.to(torch.float64) for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}
        self.processed = processed

    def norm(self, name, x, weight, record):
        scale = record(name + ".hook_scale", (x.pow(2).mean(-1, keepdim=True) + EPS).sqrt())
        return record(name + ".hook_normalized", x / scale) * weight

    def rotate(self, x):                                                     # [batch, pos, head, d_head]
        n = x.shape[1]
        inv = 1.0 / THETA ** (torch.arange(0, D_HEAD, 2, dtype=torch.float64) / D_HEAD)
        angles = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]    # [pos, d_head / 2]
        cos, sin = torch.cat([angles, angles], -1).cos()[None, :, None], torch.cat([angles, angles], -1).sin()[None, :, None]
        half = D_HEAD // 2
        rotated_half = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated_half * sin

    def forward(self, tokens, last, hooks=None, cache=None):
        """Logits [batch, d_vocab] at each row's position `last[row]` (the metric's read position)."""
        hooks = hooks or {}

        def record(name, x):
            if name in hooks:
                replaced = hooks[name](x)
                x = x if replaced is None else replaced
            if cache is not None:
                cache[name] = x
            return x

        w, b, n = self.w, tokens.shape[0], tokens.shape[1]
        resid = record("hook_embed", w["model.embed_tokens.weight"][tokens])
        for l in range(LAYERS):
            p, h = f"model.layers.{l}.", f"blocks.{l}."
            resid = record(h + "hook_resid_pre", resid)
            q = record(h + "attn.hook_q", (resid @ w[p + "self_attn.q_proj.weight"].T).view(b, n, HEADS, D_HEAD))
            k = record(h + "attn.hook_k", (resid @ w[p + "self_attn.k_proj.weight"].T).view(b, n, HEADS, D_HEAD))
            v = record(h + "attn.hook_v", (resid @ w[p + "self_attn.v_proj.weight"].T).view(b, n, HEADS, D_HEAD))
            q = self.norm(h + "attn.q_norm", q.reshape(b, n, -1), w[p + "self_attn.q_norm.weight"], record).view(b, n, HEADS, D_HEAD)
            k = self.norm(h + "attn.k_norm", k.reshape(b, n, -1), w[p + "self_attn.k_norm.weight"], record).view(b, n, HEADS, D_HEAD)
            q, k = record(h + "attn.hook_rot_q", self.rotate(q)), record(h + "attn.hook_rot_k", self.rotate(k))
            scores = q.permute(0, 2, 1, 3) @ k.permute(0, 2, 3, 1) / D_HEAD ** 0.5          # [batch, head, q, k]
            scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
            pattern = record(h + "attn.hook_pattern", record(h + "attn.hook_attn_scores", scores).softmax(-1))
            z = record(h + "attn.hook_z", (pattern @ v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3))  # [batch, pos, head, d_head]
            attn = z.reshape(b, n, -1) @ w[p + "self_attn.o_proj.weight"].T
            attn = record(h + "hook_attn_out", self.norm(h + "ln1_post", attn, w[p + "post_attention_layernorm.weight"], record))
            resid = record(h + "hook_resid_mid", resid + attn)
            gate = record(h + "mlp.hook_pre", resid @ w[p + "mlp.gate_proj.weight"].T)
            up = record(h + "mlp.hook_pre_linear", resid @ w[p + "mlp.up_proj.weight"].T)
            post = record(h + "mlp.hook_post", torch.nn.functional.silu(gate) * up)
            mlp = self.norm(h + "ln2_post", post @ w[p + "mlp.down_proj.weight"].T, w[p + "post_feedforward_layernorm.weight"], record)
            resid = record(h + "hook_resid_post", resid + record(h + "hook_mlp_out", mlp))
        final = self.norm("ln_final", resid, w["model.norm.weight"], record)
        logits = final[torch.arange(b), torch.tensor(last)] @ w["lm_head.weight"].T
        return logits - logits.mean(-1, keepdim=True) if self.processed else logits


def metric_of(answers):
    rows, ids = torch.arange(len(answers)), torch.tensor(answers)
    return lambda logits: float(logits.log_softmax(-1)[rows, ids].mean())


def read(logits, answers):
    """family_golden.read's record of logits already taken at each prompt's last real token."""
    log_softmax = logits.log_softmax(-1)
    n = range(len(answers))
    return {"label_logits": [[float(logits[b, a]) for a in answers] for b in n],
            "label_log_softmax": [[float(log_softmax[b, a]) for a in answers] for b in n],
            "argmax": [int(r.argmax()) for r in logits], "max_logit": [float(r.max()) for r in logits],
            "logsumexp": [float(r.logsumexp(0)) for r in logits]}, [float(log_softmax[b, answers[b]]) for b in n]


def patching(model, clean, corrupted, last, metric):
    """resid_pre [layer, pos] and the five head panels [5, layer, head], each cell the metric of the corrupted run with that
    activation of the clean run patched in (TL's get_act_patch_resid_pre / get_act_patch_attn_head_all_pos_every)."""
    cache = {}
    model.forward(clean, last, cache=cache)
    n = corrupted.shape[1]
    resid = [[0.0] * n for _ in range(LAYERS)]
    for l in range(LAYERS):
        name = f"blocks.{l}.hook_resid_pre"
        for pos in range(n):
            def patch(x, pos=pos, name=name):
                x = x.clone()
                x[:, pos] = cache[name][:, pos]
                return x
            resid[l][pos] = metric(model.forward(corrupted, last, {name: patch}))
    heads = [[[0.0] * HEADS for _ in range(LAYERS)] for _ in range(5)]
    for i, (hook, axis) in enumerate([("attn.hook_z", 2), ("attn.hook_q", 2), ("attn.hook_k", 2), ("attn.hook_v", 2), ("attn.hook_pattern", 1)]):
        for l in range(LAYERS):
            name = f"blocks.{l}.{hook}"
            for head in range(HEADS):
                def patch(x, head=head, name=name, axis=axis):
                    x = x.clone()
                    index = [slice(None)] * x.dim()
                    index[axis] = head
                    x[tuple(index)] = cache[name][tuple(index)]
                    return x
                heads[i][l][head] = metric(model.forward(corrupted, last, {name: patch}))
    return {"resid_pre": resid, "attn_head_all_pos_every": heads}


def write(folder, seed, digest, source):
    tokens = source["tokens"]
    lengths, answers = tokens["lengths"], source["answer_token_ids"]
    clean, corrupted = torch.tensor(tokens["clean"]), torch.tensor(tokens["corrupted"])
    metric, last = metric_of(answers), [n - 1 for n in lengths]
    for processing in ("processed", "raw"):
        model = Olmo2(folder, processing == "processed")
        cache = {}
        generator = torch.Generator().manual_seed(20261206)
        clean_logits = model.forward(clean, last, cache=cache)
        corrupted_logits = model.forward(corrupted, last)
        reads = {"clean": read(clean_logits, answers), "corrupted": read(corrupted_logits, answers)}
        for r in reads.values():
            r[0]["positions"] = last
        cb, xb = metric(clean_logits), metric(corrupted_logits)
        grids = patching(model, clean, corrupted, last, metric)
        shapes_of = {"resid_pre": [LAYERS, clean.shape[1]], "attn_head_all_pos_every": [5, LAYERS, HEADS]}
        unnormalised = {k: {"shape": shapes_of[k], "values": v} for k, v in grids.items()}
        normalised = {k: {"shape": shapes_of[k], "values": (torch.tensor(v) - xb).div(cb - xb).tolist()} for k, v in grids.items()}
        golden = {
            "meta": {"model": "tiny-olmo2-a", "family": "olmo2", "processing": processing, "semantics": "hf (float64 reference)",
                     "reference": "tools/tl-goldens/olmo2.py: Hugging Face's Olmo2 definition in float64 (TL 2.18 has no OLMo-2)",
                     "dtype": "float64 forward of the BF16 checkpoint", "metric": "log_softmax(logits[i, length_i - 1])[answer_i]",
                     "checkpoint_seed": seed, "checkpoint_sha256": digest},
            "tokens": tokens, "answer_token_ids": answers,
            "final_logits": {"clean_true_last": reads["clean"][0], "corrupted_true_last": reads["corrupted"][0]},
            "cache_hook_names_in_order": list(cache), "cache": {k: family_golden.stats(v, generator) for k, v in cache.items()},
            "metric": {"clean_baseline": cb, "corrupted_baseline": xb, "clean_minus_corrupted": cb - xb,
                       "clean_correct_per_prompt": reads["clean"][1], "corrupted_correct_per_prompt": reads["corrupted"][1]},
            "patching_unnormalised": unnormalised, "patching_normalised": normalised, "patching_notes": {},
        }
        out = os.path.join(family_golden.FIXTURES, "goldens", "families", f"tiny-olmo2-a-{processing}.json")
        with open(out, "w") as f:
            json.dump(golden, f, allow_nan=False)
        print(out, len(cache), "hooks; baselines", round(cb, 4), round(xb, 4))


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"SplitMix64 seed of the drawn weights (default {DEFAULT_SEED})")
    parser.add_argument("--task", help="a kit task file (data/tasks/*.json) to make the prompts from (default: tiny-llama-a's golden prompts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        digest = write_checkpoint(folder, args.seed)
        print("checkpoint sha256", digest)
        source = family_golden.task_source(args.task, folder, prepend_bos=False) if args.task else family_golden.source_golden("tiny-llama-a")
        write(folder, args.seed, digest, source)
