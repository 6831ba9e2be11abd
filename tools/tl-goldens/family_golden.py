"""The family-golden schema (../shared/fixtures/README.md), written from TransformerLens v2.18.0 through the harness:
every cached hook's statistics (infinities and NaN as strings), the logits at each prompt's last real token, the
baselines, and TL's resid_pre and attn_head_all_pos_every patching. Shared by the scripts beside it, which say which checkpoint and which prompts.
"""
import json, os, sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "..", "shared", "tl-harness"))
import torch  # noqa: E402
import tlshim  # noqa: E402  (before anything that imports transformer_lens)

torch.set_num_threads(2)
FIXTURES = os.path.join(REPO, "tests", "fixtures")


def source_golden(model):
    """Another fixture's raw golden (its prompts' tokens and answers are reused by a fixture with the same tokenizer)."""
    return json.load(open(os.path.join(FIXTURES, "goldens", "families", f"{model}-raw.json")))


def task_source(task_file, folder, prepend_bos):
    """A source golden's "tokens" and "answer_token_ids" for a kit task file (data/tasks/*.json: demos, queries, templates, a
    label-map corruption), tokenized by Hugging Face's reference implementation (tokenize_task.mjs) with the checkpoint's
    tokenizer: clean and corrupted prompts (the demonstrations' labels mapped), BOS prepended where TL's model does, right
    padding with the pad token (else eos), each answer the first token its answer template gets after the prompt."""
    import subprocess, tempfile
    task = json.load(open(task_file))
    corruption = task.get("corruption", {})
    if corruption.get("kind") != "label-map":
        raise SystemExit(f"{task_file}: --task takes a label-map corruption; this one is {corruption.get('kind')!r}")
    mapping = corruption["map"]

    def prompt(query, relabel):
        demos = [task["demoTemplate"].replace("{input}", d["input"]).replace("{label}", relabel(d["label"])) for d in task["demos"]]
        return task["separator"].join(demos + [task["queryTemplate"].replace("{input}", query["input"])])

    clean = [prompt(q, lambda l: l) for q in task["queries"]]
    corrupted = [prompt(q, lambda l: mapping.get(l, l)) for q in task["queries"]]
    answered = [c + task["answerTemplate"].replace("{label}", q["label"]) for c, q in zip(clean, task["queries"])]
    config = json.load(open(os.path.join(folder, "tokenizer_config.json")))
    specials = [t if isinstance(t, str) else (t or {}).get("content") for t in (config.get("bos_token"), config.get("pad_token"), config.get("eos_token"))]
    with tempfile.TemporaryDirectory() as tmp:
        request, reply = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
        json.dump({"texts": clean + corrupted + answered, "specials": [s for s in specials if s]}, open(request, "w"))
        subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenize_task.mjs"), folder, request, reply], check=True)
        out = json.load(open(reply))
    n = len(clean)
    ids, found = out["ids"], out["specials"]
    bos, pad = found.get(specials[0]), found.get(specials[1]) if specials[1] else None
    pad = pad if pad is not None else found.get(specials[2])
    if prepend_bos and bos is None:
        raise SystemExit(f"{folder}: the model prepends BOS but its tokenizer_config.json names no bos_token the tokenizer has")
    answers = []
    for i in range(n):
        if ids[2 * n + i][:len(ids[i])] != ids[i]:
            raise SystemExit(f"{task_file}: query {i}'s prompt does not tokenize as a prefix of prompt + answer; its answer token is ambiguous")
        answers.append(ids[2 * n + i][len(ids[i])])
    rows = [([bos] if prepend_bos else []) + r for r in ids[:2 * n]]
    lengths = [len(r) for r in rows[:n]]
    if lengths != [len(r) for r in rows[n:]]:
        raise SystemExit(f"{task_file}: clean and corrupted prompts tokenize to different lengths {lengths} vs {[len(r) for r in rows[n:]]}")
    width = max(lengths)
    padded = [r + [pad] * (width - len(r)) for r in rows]
    return {"tokens": {"clean": padded[:n], "corrupted": padded[n:], "lengths": lengths, "task": os.path.basename(task_file)},
            "answer_token_ids": answers}


def number(v):
    """A float as JSON allows it: infinities (masked attention scores) and NaN as the strings the tests read."""
    v = float(v)
    return v if v == v and abs(v) != float("inf") else ("NaN" if v != v else ("Infinity" if v > 0 else "-Infinity"))


def stats(a, generator):
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


def patching(model, clean, corrupted, lengths, answers, clean_baseline, corrupted_baseline):
    """TL's own get_act_patch_resid_pre and get_act_patch_attn_head_all_pos_every with the goldens' metric (the mean over
    prompts of the answer's log-prob at its last real token), unnormalised and normalised ((m - corrupted) / (clean -
    corrupted)). As for the committed family goldens, the unembedding is replaced by the identity while patching and the
    metric applies W_U, b_U at the read positions (the same arithmetic; no [batch, pos, vocab] logits per patch), and
    grouped-query models run ungrouped (each query head's own copy of its group's key and value) with n_key_value_heads
    hidden from TL's index ranges, so the key and value panels have a cell per query head. A final logit soft-cap (Gemma 2),
    which TL's forward applies after the (here identity) unembedding, is applied by the metric instead."""
    from transformer_lens import patching as tl_patching
    rows, ids = torch.arange(len(lengths)), torch.tensor(answers)
    last = torch.tensor(lengths) - 1
    w_u, b_u, cap = model.unembed.W_U, model.unembed.b_U, model.cfg.output_logits_soft_cap

    def metric(resid):                                                                  # [batch, pos, d_model] after ln_final
        logits = resid[rows, last] @ w_u + b_u
        logits = cap * torch.tanh(logits / cap) if cap > 0 else logits
        return logits.log_softmax(-1)[rows, ids].mean()

    unembed, kv, ungrouped = model.unembed, model.cfg.n_key_value_heads, model.cfg.ungroup_grouped_query_attention
    model.unembed = torch.nn.Identity()
    model.cfg.ungroup_grouped_query_attention = kv is not None
    model.cfg.output_logits_soft_cap = -1.0
    try:
        _, cache = model.run_with_cache(clean)
        model.cfg.n_key_value_heads = None
        grids = {"resid_pre": tl_patching.get_act_patch_resid_pre(model, corrupted, cache, metric),
                 "attn_head_all_pos_every": tl_patching.get_act_patch_attn_head_all_pos_every(model, corrupted, cache, metric)}
    finally:
        model.unembed, model.cfg.n_key_value_heads, model.cfg.ungroup_grouped_query_attention = unembed, kv, ungrouped
        model.cfg.output_logits_soft_cap = cap
    gap = clean_baseline - corrupted_baseline
    unnormalised = {k: {"shape": list(v.shape), "values": v.tolist()} for k, v in grids.items()}
    normalised = {k: {"shape": list(v.shape), "values": ((v - corrupted_baseline) / gap).tolist()} for k, v in grids.items()}
    notes = {"gqa": "head patching ran with cfg.ungroup_grouped_query_attention=True: hook_k/hook_v [batch, pos, n_heads, "
                    "d_head], each query head's copy of its group's key/value"} if kv is not None else {}
    return unnormalised, normalised, notes


def write(model_name, folder, family, source, semantics, note, extra_meta=None):
    """Loads `folder` both ways through TL and writes tests/fixtures/goldens/families/{model_name}-{processing}.json."""
    tokens = source["tokens"]
    lengths, answers = tokens["lengths"], source["answer_token_ids"]
    clean, corrupted = torch.tensor(tokens["clean"]), torch.tensor(tokens["corrupted"])
    for processing in ("processed", "raw"):
        model = tlshim.load_tl(folder, processing=processing, semantics=semantics)
        generator = torch.Generator().manual_seed(20261206)
        with torch.no_grad():
            _, cache = model.run_with_cache(clean)
            names = list(cache.keys())
            golden_cache = {n: stats(cache[n], generator) for n in names}
            clean_read, clean_correct = read(model, clean, lengths, answers)
            corrupted_read, corrupted_correct = read(model, corrupted, lengths, answers)
        cb, xb = sum(clean_correct) / len(lengths), sum(corrupted_correct) / len(lengths)
        with torch.no_grad():
            unnormalised, normalised, notes = patching(model, clean, corrupted, lengths, answers, cb, xb)
        golden = {
            "meta": dict({"model": model_name, "family": family, "processing": processing, "semantics": semantics,
                          "tlshim_info": {k: v for k, v in model.tlshim_info.items() if k in ("route", "hf_corrections", "processing")},
                          "cfg": {k: (v if isinstance(v, (int, float, str, bool, type(None), list)) else str(v))
                                  for k, v in model.cfg.to_dict().items()},
                          "versions": {"transformer_lens_tag": "v2.18.0", "torch": torch.__version__},
                          "dtype": "float32 (checkpoint BF16, upcast exactly)",
                          "metric": "log_softmax(logits[i, length_i - 1])[answer_i]",
                          "note": note}, **(extra_meta or {})),
            "tokens": tokens, "answer_token_ids": answers,
            "final_logits": {"clean_true_last": clean_read, "corrupted_true_last": corrupted_read},
            "cache_hook_names_in_order": names, "cache": golden_cache,
            "metric": {"clean_baseline": cb, "corrupted_baseline": xb, "clean_minus_corrupted": cb - xb,
                       "clean_correct_per_prompt": clean_correct, "corrupted_correct_per_prompt": corrupted_correct},
            "patching_unnormalised": unnormalised, "patching_normalised": normalised, "patching_notes": notes,
        }
        out = os.path.join(FIXTURES, "goldens", "families", f"{model_name}-{processing}.json")
        with open(out, "w") as f:
            json.dump(golden, f, allow_nan=False)
        print(out, len(names), "hooks; baselines", round(cb, 4), round(xb, 4), model.tlshim_info.get("hf_corrections"))


def main(doc, model_name, family, write_checkpoint, source_model, semantics, default_seed):
    """A seeded fixture's goldens script: --seed N (default `default_seed`); writes the checkpoint into a temporary folder
    with `write_checkpoint(folder, seed)` (which returns its digest) and the goldens with the seed and digest in meta."""
    import argparse, tempfile
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--seed", type=int, default=default_seed, help=f"SplitMix64 seed of the drawn weights (default {default_seed})")
    parser.add_argument("--task", help="a kit task file (data/tasks/*.json) to make the prompts from, tokenized by Hugging Face's "
                        f"implementation (default: {source_model}'s golden prompts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        digest = write_checkpoint(folder, args.seed)
        print("checkpoint sha256", digest)
        if args.task:
            bos = tlshim.load_tl(folder, processing="raw", semantics=semantics).cfg.default_prepend_bos
            source = task_source(args.task, folder, bos)
        else:
            source = source_golden(source_model)
        write(model_name, folder, family, source, semantics, f"tools/tl-goldens/{os.path.basename(sys.argv[0])}",
              {"checkpoint_seed": args.seed, "checkpoint_sha256": digest})
