"""TransformerLens goldens for a Llama 3 scaled rope: tests/fixtures/goldens/families/tiny-llama3-a-{processed,raw}.json.

tiny-llama3-a is tiny-llama-a's weights and tokenizer (symlinked) under a config with rope_theta 20000 and rope_scaling
llama3 (factor 8, low/high 1/4, original context 64, so each band holds some of the eight frequencies of d_head 16).
TL 2.18 reads a local checkpoint's rope_scaling only with the harness's semantics="hf" (it sets TL's own
use_NTK_by_parts_rope fields from the config, as TL does for its named Llama-3.x models), so that is what runs here.
The prompts are tiny-llama-a's golden tokens (same tokenizer). Written in the schema of the other family goldens
(../shared/fixtures/README.md), without the patching grids.

    TL_HOME=... /usr/bin/python3 tools/tl-goldens/llama3_rope.py      (set up TL_HOME as ../shared/tl-harness/README.md says)
"""
import json, os, sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "..", "shared", "tl-harness"))
import torch  # noqa: E402
import tlshim  # noqa: E402  (before anything that imports transformer_lens)

torch.set_num_threads(2)
FIXTURES = os.path.join(REPO, "tests", "fixtures")
MODEL = "tiny-llama3-a"
FOLDER = os.path.join(FIXTURES, "models", MODEL)
SOURCE = json.load(open(os.path.join(FIXTURES, "goldens", "families", "tiny-llama-a-raw.json")))


def number(v):
    """A float as JSON allows it: infinities (masked attention scores) and NaN as the strings the tests read."""
    v = float(v)
    return v if v == v and abs(v) != float("inf") else ("NaN" if v != v else ("Infinity" if v > 0 else "-Infinity"))


def stats(name, a, generator):
    x = a.detach().to(torch.float64)
    finite = torch.isfinite(x)
    xf = x[finite]
    prefix = [0, min(5, x.shape[1] - 1)]
    samples = []
    for _ in range(9):
        index = [int(torch.randint(0, n, (1,), generator=generator)) for n in x.shape]
        samples.append({"index": index, "value": number(x[tuple(index)])})
    return {"shape": list(x.shape), "dtype": str(a.dtype).replace("torch.", ""), "sum": float(xf.sum()),
            "sumsq": float((xf ** 2).sum()), "mean_abs": float(xf.abs().mean()), "n_nonfinite": int((~finite).sum()),
            "slice_first8": {"index_prefix": prefix, "values": [number(v) for v in x[prefix[0], prefix[1]].flatten()[:8]],
                             "note": "a[0, index_prefix[1]].flatten()[:8] (C order)"},
            "samples": samples}


def read(model, tokens, lengths, answers):
    logits = model(tokens)
    rows = logits[torch.arange(len(lengths)), torch.tensor(lengths) - 1]              # [batch, d_vocab]
    log_softmax = rows.log_softmax(-1)
    return {"positions": [n - 1 for n in lengths],
            "label_logits": [[float(rows[b, a]) for a in answers] for b in range(len(lengths))],
            "label_log_softmax": [[float(log_softmax[b, a]) for a in answers] for b in range(len(lengths))],
            "argmax": [int(r.argmax()) for r in rows], "max_logit": [float(r.max()) for r in rows],
            "logsumexp": [float(r.logsumexp(0)) for r in rows]}, [float(log_softmax[b, answers[b]]) for b in range(len(lengths))]


def main():
    tokens = SOURCE["tokens"]
    lengths, answers = tokens["lengths"], SOURCE["answer_token_ids"]
    clean, corrupted = torch.tensor(tokens["clean"]), torch.tensor(tokens["corrupted"])
    for processing in ("processed", "raw"):
        model = tlshim.load_tl(FOLDER, processing=processing, semantics="hf")
        generator = torch.Generator().manual_seed(20261206)
        with torch.no_grad():
            _, cache = model.run_with_cache(clean)
            names = list(cache.keys())
            golden_cache = {n: stats(n, cache[n], generator) for n in names}
            clean_read, clean_correct = read(model, clean, lengths, answers)
            corrupted_read, corrupted_correct = read(model, corrupted, lengths, answers)
        cb, xb = sum(clean_correct) / len(lengths), sum(corrupted_correct) / len(lengths)
        golden = {
            "meta": {"model": MODEL, "family": "llama", "processing": processing, "semantics": "hf",
                     "tlshim_info": {k: v for k, v in model.tlshim_info.items() if k in ("route", "hf_corrections", "processing")},
                     "cfg": {k: (v if isinstance(v, (int, float, str, bool, type(None), list)) else str(v))
                             for k, v in model.cfg.to_dict().items()},
                     "versions": {"transformer_lens_tag": "v2.18.0", "torch": torch.__version__},
                     "dtype": "float32 (checkpoint BF16, upcast exactly)",
                     "metric": "log_softmax(logits[i, length_i - 1])[answer_i]",
                     "note": "tools/tl-goldens/llama3_rope.py; no patching grids"},
            "tokens": tokens, "answer_token_ids": answers,
            "final_logits": {"clean_true_last": clean_read, "corrupted_true_last": corrupted_read},
            "cache_hook_names_in_order": names, "cache": golden_cache,
            "metric": {"clean_baseline": cb, "corrupted_baseline": xb, "clean_minus_corrupted": cb - xb,
                       "clean_correct_per_prompt": clean_correct, "corrupted_correct_per_prompt": corrupted_correct},
        }
        out = os.path.join(FIXTURES, "goldens", "families", f"{MODEL}-{processing}.json")
        with open(out, "w") as f:
            json.dump(golden, f, allow_nan=False)
        print(out, len(names), "hooks; baselines", round(cb, 4), round(xb, 4), model.tlshim_info.get("hf_corrections"))


if __name__ == "__main__":
    main()
