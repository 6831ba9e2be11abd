"""The seeded-checkpoint helpers the goldens scripts share with tests/IclNotebook.Tests/Families/SeededCheckpoints.cs:
SplitMix64 as src/IclNotebook/Icl/SplitMix64.cs defines it, and the digest both sides compute of what they wrote."""
import hashlib

import numpy as np
import torch

MASK = (1 << 64) - 1
GAMMA, C1, C2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


class SplitMix64:
    """src/IclNotebook/Icl/SplitMix64.cs, bit for bit (NextInt rejects the top remainder, as there)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + GAMMA) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * C1) & MASK
        z = ((z ^ (z >> 27)) * C2) & MASK
        return z ^ (z >> 31)

    def next_int(self, n):
        limit = MASK - (MASK % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def next_ints(self, n, count):
        """`count` draws of next_int(n) at once (numpy, wrapping uint64 arithmetic): draw i is the mix of state + i * gamma.
        A rejected draw (probability n / 2^64 each) would shift the sequence; it is checked for, not assumed away."""
        steps = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(self.state) + steps * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(C1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(C2)
        z = z ^ (z >> np.uint64(31))
        if (z >= np.uint64(MASK - (MASK % n))).any():
            raise ValueError("a SplitMix64 draw was rejected; draw one by one with next_int")
        self.state = (self.state + count * GAMMA) & MASK
        return (z % np.uint64(n)).astype(np.int64)


def digest(tensors):
    """SHA-256 over tensors in name order: each name in UTF-8, then its values as little-endian float32."""
    sha = hashlib.sha256()
    for name in sorted(tensors):
        sha.update(name.encode("utf-8"))
        sha.update(tensors[name].to(torch.float32).contiguous().numpy().astype("<f4").tobytes())
    return sha.hexdigest()


def offset_and_scale(name):
    """tests/.../SeededCheckpoints.cs's OffsetAndScale: norms' weights 1 + k/256, embedding and head k/64, queries' and keys'
    projections k/128 (Phi-3's fused qkv_proj, values included, k/256), other weights k/512, biases k/1024."""
    if name.endswith(".weight") and ("ln_" in name or "norm" in name):
        return 1.0, 1 / 256
    if name in ("transformer.wte.weight", "model.embed_tokens.weight", "lm_head.weight"):
        return 0.0, 1 / 64
    if name.endswith(("attn.q_proj.weight", "attn.k_proj.weight")):
        return 0.0, 1 / 128
    if name.endswith("attn.qkv_proj.weight"):
        return 0.0, 1 / 256
    return (0.0, 1 / 1024) if name.endswith(".bias") else (0.0, 1 / 512)


def draw(folder, config, tokenizer_from, shapes, seed, dtype, overrides=None):
    """SeededCheckpoints.Draw: config.json, a committed fixture's tokenizer files, and a checkpoint whose every tensor is drawn
    from SplitMix64(seed) in name order (offset + k * scale, k uniform in [-127, 127]); returns the digest. `overrides`
    ({name suffix: (offset, scale)}, the first suffix a name ends with) replaces offset_and_scale for a family's own needs."""
    import json, os, shutil
    from st_io import write_safetensors
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures")
    json.dump(config, open(os.path.join(folder, "config.json"), "w"))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(fixtures, "models", tokenizer_from, f), folder)
    random, tensors = SplitMix64(seed), {}
    for name, shape in sorted(shapes.items()):
        offset, scale = next((v for k, v in (overrides or {}).items() if name.endswith(k)), None) or offset_and_scale(name)
        n = int(np.prod(shape))
        k = torch.from_numpy(random.next_ints(255, n) - 127).to(torch.float32)
        tensors[name] = (offset + k * scale).view(*shape).to(dtype)
    write_safetensors(tensors, os.path.join(folder, "model.safetensors"), {"format": "pt"})
    return digest(tensors)
