#!/usr/bin/python3
"""Tokens/s of one eager-PyTorch training step (forward, backward, AdamW) of a Llama of the smollm2-135m shape.

    /usr/bin/python3 scripts/reference/torch_train_bench.py full|lora [seq=512] [threads=2] [steps=5]

float32, batch 1 x seq, random weights, tied embeddings; LoRA r=16 alpha=32 on all seven projections (base frozen).
Prints "RESULT method tokens_per_s median_step_s tokens_per_cpu_s_x_threads cpu_s" for scripts/bench-train-vs-torch.sh.
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as Fn

V, D, FF, L, H, HKV = 49152, 576, 1536, 30, 9, 3
DH = D // H


class Lora(nn.Module):
    def __init__(self, base, r=16, alpha=32):
        super().__init__()
        self.base = base
        base.weight.requires_grad_(False)
        self.a = nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale


class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(D), RMSNorm(D)
        self.q = nn.Linear(D, H * DH, bias=False)
        self.k = nn.Linear(D, HKV * DH, bias=False)
        self.v = nn.Linear(D, HKV * DH, bias=False)
        self.o = nn.Linear(H * DH, D, bias=False)
        self.gate = nn.Linear(D, FF, bias=False)
        self.up = nn.Linear(D, FF, bias=False)
        self.down = nn.Linear(FF, D, bias=False)

    def forward(self, x, cos, sin, mask):
        T = x.shape[1]
        h = self.n1(x)
        q = self.q(h).view(1, T, H, DH).transpose(1, 2)
        k = self.k(h).view(1, T, HKV, DH).transpose(1, 2)
        v = self.v(h).view(1, T, HKV, DH).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // HKV, dim=1)
        v = v.repeat_interleave(H // HKV, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(DH)  # eager attention (torch 1.13 has no fused SDPA)
        att = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(1, T, D))
        h = self.n2(x)
        return x + self.down(Fn.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.norm = RMSNorm(D)

    def forward(self, tokens, cos, sin):
        x = self.embed(tokens)
        T = tokens.shape[1]
        mask = ~torch.ones(T, T, dtype=torch.bool).tril()
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.norm(x) @ self.embed.weight.T


def main():
    method = sys.argv[1] if len(sys.argv) > 1 else "lora"
    seq = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Model()
    if method == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for b in model.blocks:
            for name in ("q", "k", "v", "o", "gate", "up", "down"):
                setattr(b, name, Lora(getattr(b, name)))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    inv = 1.0 / (100000.0 ** (torch.arange(0, DH, 2).float() / DH))
    freqs = torch.outer(torch.arange(seq).float(), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    tokens = torch.randint(0, V, (1, seq))
    times, cpus = [], []
    for s in range(steps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        logits = model(tokens, cos, sin)
        loss = Fn.cross_entropy(logits[0, :-1], tokens[0, 1:])
        loss.backward()
        opt.step()
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"step {s}: loss {loss.item():.4f}, {dt:.2f} s, {seq / dt:.1f} tokens/s, {cpu:.1f} CPU-s", flush=True)
        if s > 0:
            times.append(dt)
            cpus.append(cpu)
    times.sort()
    cpus.sort()
    med, cpu = times[len(times) // 2], cpus[len(cpus) // 2]
    # tokens per second of wall time, and per CPU-second x threads (what the threads would do on idle cores)
    print(f"RESULT {method} {seq / med:.1f} {med:.3f} {seq * threads / cpu:.1f} {cpu:.1f}")


if __name__ == "__main__":
    main()
