#!/usr/bin/python3
"""PyTorch reference forward for every architecture slmops runs (llm.c style golden files).

For each architecture this script makes a tiny model with seeded random weights, writes it as a Hugging Face
directory (config.json + model.safetensors, written here by hand from the safetensors spec), runs a forward
pass over a fixed 64-token input written to follow Hugging Face transformers' modeling code (rotate_half RoPE,
repeat_kv, eager attention with causal and sliding-window masks, the per-architecture norms), and writes the
logits of every position as little-endian float32 (logits.bin, [64, V]) next to the model.

Run with Debian's python3 (apt-get install python3-torch python3-numpy):
    /usr/bin/python3 scripts/reference/torch_forward.py <output-dir>
The committed golden files live in model/src/test/resources/golden/torch-forward/; the test profile
-Ptorch-goldens regenerates them into target/ and fails if they drifted.
"""
import json
import math
import os
import struct
import sys

import torch

T = 64  # tokens in the reference input


def tiny_configs():
    base = dict(vocab_size=160, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, torch_dtype="float32",
                bos_token_id=1, eos_token_id=2)
    cfgs = {}
    cfgs["llama"] = dict(base, model_type="llama", architectures=["LlamaForCausalLM"], hidden_act="silu")
    cfgs["llama3-rope"] = dict(base, model_type="llama", architectures=["LlamaForCausalLM"], hidden_act="silu",
                               tie_word_embeddings=True, rope_theta=500000.0,
                               rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                 high_freq_factor=4.0, original_max_position_embeddings=16))
    cfgs["qwen2"] = dict(base, model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_act="silu",
                         rope_theta=1000000.0, use_sliding_window=False, sliding_window=128, max_window_layers=2)
    cfgs["qwen3"] = dict(base, model_type="qwen3", architectures=["Qwen3ForCausalLM"], hidden_act="silu",
                         head_dim=24, rms_norm_eps=1e-6, rope_theta=1000000.0, attention_bias=False,
                         tie_word_embeddings=True)
    # Phi-3 with partial rotary (3/4 of 16 dims) and LongRoPE past an original context of 32.
    rot = int(16 * 0.75)
    g = torch.Generator().manual_seed(7)
    cfgs["phi3"] = dict(base, model_type="phi3", architectures=["Phi3ForCausalLM"], hidden_act="silu",
                        partial_rotary_factor=0.75, original_max_position_embeddings=32,
                        rope_scaling=dict(type="longrope",
                                          long_factor=[round(1.0 + 3.0 * float(x), 4) for x in torch.rand(rot // 2, generator=g)],
                                          short_factor=[round(1.0 + 0.5 * float(x), 4) for x in torch.rand(rot // 2, generator=g)]),
                        sliding_window=None, tie_word_embeddings=True)
    cfgs["gemma3"] = dict(base, model_type="gemma3_text", architectures=["Gemma3ForCausalLM"],
                          hidden_activation="gelu_pytorch_tanh", head_dim=32, query_pre_attn_scalar=24,
                          sliding_window=8, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                          layer_types=["sliding_attention", "full_attention"], rms_norm_eps=1e-6,
                          tie_word_embeddings=True, final_logit_softcapping=None, attn_logit_softcapping=None,
                          rope_scaling=dict(rope_type="linear", factor=2.0))
    return cfgs


def make_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    D, F, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H, Hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    Dh = cfg.get("head_dim", D // H)
    mt = cfg["model_type"]

    def rnd(*shape, s=0.1):
        return (torch.randn(*shape, generator=g) * s).float()

    def norm(n):
        return (1.0 + 0.1 * torch.randn(n, generator=g)).float() if mt != "gemma3_text" else rnd(n)

    w = {"model.embed_tokens.weight": rnd(V, D, s=0.5), "model.norm.weight": norm(D)}
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(V, D)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm(D)
        w[p + "post_attention_layernorm.weight"] = norm(D)
        if mt == "phi3":
            w[p + "self_attn.qkv_proj.weight"] = rnd((H + 2 * Hkv) * Dh, D)
            w[p + "mlp.gate_up_proj.weight"] = rnd(2 * F, D)
        else:
            w[p + "self_attn.q_proj.weight"] = rnd(H * Dh, D)
            w[p + "self_attn.k_proj.weight"] = rnd(Hkv * Dh, D)
            w[p + "self_attn.v_proj.weight"] = rnd(Hkv * Dh, D)
            w[p + "mlp.gate_proj.weight"] = rnd(F, D)
            w[p + "mlp.up_proj.weight"] = rnd(F, D)
        if mt == "qwen2":
            w[p + "self_attn.q_proj.bias"] = rnd(H * Dh)
            w[p + "self_attn.k_proj.bias"] = rnd(Hkv * Dh)
            w[p + "self_attn.v_proj.bias"] = rnd(Hkv * Dh)
        if mt in ("qwen3", "gemma3_text"):
            w[p + "self_attn.q_norm.weight"] = norm(Dh)
            w[p + "self_attn.k_norm.weight"] = norm(Dh)
        if mt == "gemma3_text":
            w[p + "pre_feedforward_layernorm.weight"] = norm(D)
            w[p + "post_feedforward_layernorm.weight"] = norm(D)
        w[p + "self_attn.o_proj.weight"] = rnd(D, H * Dh)
        w[p + "mlp.down_proj.weight"] = rnd(D, F)
    return w


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        b = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- the forward pass, following transformers' modeling_{llama,qwen2,qwen3,phi3,gemma3}.py --------------------

def rms_norm(x, w, eps, plus_one):
    x32 = x.float()
    y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return y * (1.0 + w) if plus_one else w * y


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def inv_freq_for(cfg, dim, base, scaled):
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    attn_factor = 1.0
    rs = cfg.get("rope_scaling") if scaled else None
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "linear":
            inv = inv / rs["factor"]
        elif kind == "llama3":
            factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
            low_wl, high_wl = old / lo, old / hi
            wl = 2 * math.pi / inv
            inv_l = torch.where(wl > low_wl, inv / factor, inv)
            smooth = (old / wl - lo) / (hi - lo)
            smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
            medium = ~(wl < high_wl) * ~(wl > low_wl)
            inv = torch.where(medium, smoothed, inv_l)
        elif kind in ("longrope", "su"):
            orig = cfg["original_max_position_embeddings"]
            ctx = cfg["max_position_embeddings"]
            # transformers picks the long factors when the sequence exceeds the original context; slmops (like
            # llama.cpp) picks by the context in use. The test runs with a context of 128 > 32: long factors.
            ext = torch.tensor(rs["long_factor"], dtype=torch.float32)
            inv = 1.0 / (ext * (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)))
            s = ctx / orig
            attn_factor = math.sqrt(1 + math.log(s) / math.log(orig)) if s > 1 else 1.0
    return inv, attn_factor


def forward(cfg, w, tokens):
    mt = cfg["model_type"]
    D, H, Hkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    Dh = cfg.get("head_dim", D // H)
    L, eps = cfg["num_hidden_layers"], cfg["rms_norm_eps"]
    plus_one = mt == "gemma3_text"
    rot = int(Dh * cfg.get("partial_rotary_factor", 1.0))
    n = len(tokens)
    pos = torch.arange(n, dtype=torch.float32)

    def cos_sin(base, scaled):
        inv, af = inv_freq_for(cfg, rot, base, scaled)
        freqs = torch.outer(pos, inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos() * af, emb.sin() * af

    cs_global = cos_sin(cfg["rope_theta"], True)
    cs_local = cos_sin(cfg.get("rope_local_base_freq", cfg["rope_theta"]), False)

    x = w["model.embed_tokens.weight"][tokens]
    if mt == "gemma3_text":
        x = x * torch.tensor(D ** 0.5, dtype=x.dtype)
    scale = cfg.get("query_pre_attn_scalar", Dh) ** -0.5
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    for i in range(L):
        p = f"model.layers.{i}."
        if mt == "gemma3_text":
            sliding = cfg["layer_types"][i] == "sliding_attention"
        elif mt == "qwen2":
            sliding = cfg["use_sliding_window"] and i >= cfg["max_window_layers"]
        elif mt == "phi3":
            sliding = cfg.get("sliding_window") is not None
        else:
            sliding = False
        window = cfg.get("sliding_window") if sliding else None
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps, plus_one)
        if mt == "phi3":
            qkv = h @ w[p + "self_attn.qkv_proj.weight"].T
            q, k, v = qkv.split([H * Dh, Hkv * Dh, Hkv * Dh], dim=-1)
        else:
            q = h @ w[p + "self_attn.q_proj.weight"].T
            k = h @ w[p + "self_attn.k_proj.weight"].T
            v = h @ w[p + "self_attn.v_proj.weight"].T
            if p + "self_attn.q_proj.bias" in w:
                q = q + w[p + "self_attn.q_proj.bias"]
                k = k + w[p + "self_attn.k_proj.bias"]
                v = v + w[p + "self_attn.v_proj.bias"]
        q = q.view(n, H, Dh).transpose(0, 1)    # [H, n, Dh]
        k = k.view(n, Hkv, Dh).transpose(0, 1)  # [Hkv, n, Dh]
        v = v.view(n, Hkv, Dh).transpose(0, 1)
        if p + "self_attn.q_norm.weight" in w:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps, plus_one)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps, plus_one)
        cos, sin = cs_local if (mt == "gemma3_text" and sliding) else cs_global
        q_rot, q_pass = q[..., :rot], q[..., rot:]
        k_rot, k_pass = k[..., :rot], k[..., rot:]
        q = torch.cat((q_rot * cos + rotate_half(q_rot) * sin, q_pass), dim=-1)
        k = torch.cat((k_rot * cos + rotate_half(k_rot) * sin, k_pass), dim=-1)
        k = k.repeat_interleave(H // Hkv, dim=0)
        v = v.repeat_interleave(H // Hkv, dim=0)
        scores = (q @ k.transpose(1, 2)) * scale
        if cfg.get("attn_logit_softcapping"):
            c = cfg["attn_logit_softcapping"]
            scores = torch.tanh(scores / c) * c
        mask = causal.clone()
        if window:
            idx = torch.arange(n)
            mask &= (idx[:, None] - idx[None, :]) < window
        scores = scores.masked_fill(~mask, float("-inf"))
        att = torch.softmax(scores.float(), dim=-1) @ v      # [H, n, Dh]
        att = att.transpose(0, 1).reshape(n, H * Dh)
        o = att @ w[p + "self_attn.o_proj.weight"].T
        if mt == "gemma3_text":
            o = rms_norm(o, w[p + "post_attention_layernorm.weight"], eps, plus_one)
            x = x + o
            h = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, plus_one)
        else:
            x = x + o
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps, plus_one)
        if mt == "phi3":
            gate, up = (h @ w[p + "mlp.gate_up_proj.weight"].T).chunk(2, dim=-1)
        else:
            gate, up = h @ w[p + "mlp.gate_proj.weight"].T, h @ w[p + "mlp.up_proj.weight"].T
        act = torch.nn.functional.gelu(gate, approximate="tanh") if mt == "gemma3_text" else torch.nn.functional.silu(gate)
        m = (act * up) @ w[p + "mlp.down_proj.weight"].T
        if mt == "gemma3_text":
            m = rms_norm(m, w[p + "post_feedforward_layernorm.weight"], eps, plus_one)
        x = x + m
    x = rms_norm(x, w["model.norm.weight"], eps, plus_one)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    logits = x @ head.T
    if cfg.get("final_logit_softcapping"):
        c = cfg["final_logit_softcapping"]
        logits = torch.tanh(logits / c) * c
    return logits


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "golden"
    torch.set_num_threads(1)
    for seed, (name, cfg) in enumerate(sorted(tiny_configs().items())):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        w = make_weights(cfg, 1000 + seed)
        g = torch.Generator().manual_seed(2000 + seed)
        tokens = torch.randint(3, cfg["vocab_size"], (T,), generator=g)
        with torch.no_grad():
            logits = forward(cfg, w, tokens)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
        write_safetensors(os.path.join(d, "model.safetensors"), w)
        with open(os.path.join(d, "tokens.json"), "w") as f:
            json.dump(tokens.tolist(), f)
        with open(os.path.join(d, "logits.bin"), "wb") as f:
            f.write(logits.contiguous().numpy().astype("<f4").tobytes())
        print(f"{name}: {sum(t.numel() for t in w.values())} params, logits {tuple(logits.shape)}")


if __name__ == "__main__":
    main()
