#!/usr/bin/python3
"""PyTorch reference for the optimizer stack of the trainer (llm.c style golden files).

Twenty steps of torch.optim.AdamW (two parameter groups: weight decay on matrices, none on the bias), with
torch.nn.utils.clip_grad_norm_ before every step and Hugging Face transformers' cosine-with-warmup schedule
(get_cosine_schedule_with_warmup, written out below as the LambdaLR it builds), on fixed seeded gradients.
Gradients alternate between small (no clipping) and large (clipped) so both paths are exercised.

Output, all little-endian float32, parameters flattened entry after entry in the order of meta.json:
    meta.json   hyper-parameters, entries (name, shape, offset, decay), lr and grad_norm of every step
    init.bin    [P] parameters before the first step
    grads.bin   [STEPS, P] the gradient given to each step (before clipping)
    params.bin  [STEPS, P] the parameters after each step

Run with Debian's python3 (apt-get install python3-torch):
    /usr/bin/python3 scripts/reference/torch_adamw.py <output-dir>
The committed golden files live in train/src/test/resources/golden/torch-adamw/; TorchAdamWGoldenDriftTest
(tag "slow", mvn -Pslow) regenerates them into target/ and fails if they drifted.
"""
import json
import math
import os
import sys

import torch

STEPS = 20
LR = 1e-2
BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.1
MAX_GRAD_NORM = 1.0
WARMUP = 3


def cosine_with_warmup(warmup, total, num_cycles=0.5):
    # transformers.optimization._get_cosine_schedule_with_warmup_lr_lambda
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return f


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    shapes = [("w1", (16, 24), True), ("b1", (24,), False), ("w2", (7, 13), True)]
    params = [torch.nn.Parameter(torch.randn(*s) * 0.5) for _, s, _ in shapes]
    init = torch.cat([p.detach().reshape(-1) for p in params]).clone()
    groups = [{"params": [p for p, (_, _, d) in zip(params, shapes) if d], "weight_decay": WEIGHT_DECAY},
              {"params": [p for p, (_, _, d) in zip(params, shapes) if not d], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=LR, betas=BETAS, eps=EPS)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine_with_warmup(WARMUP, STEPS))

    grads, after, lrs, norms = [], [], [], []
    for step in range(STEPS):
        scale = 0.02 if step % 2 == 0 else 0.3
        for p in params:
            p.grad = torch.randn(p.shape) * scale
        grads.append(torch.cat([p.grad.reshape(-1) for p in params]).clone())
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        after.append(torch.cat([p.detach().reshape(-1) for p in params]).clone())

    entries, offset = [], 0
    for name, shape, decay in shapes:
        n = math.prod(shape)
        entries.append({"name": name, "shape": list(shape), "offset": offset, "length": n, "decay": decay})
        offset += n
    meta = {"torch": torch.__version__, "steps": STEPS, "lr": LR, "beta1": BETAS[0], "beta2": BETAS[1], "eps": EPS,
            "weight_decay": WEIGHT_DECAY, "max_grad_norm": MAX_GRAD_NORM, "warmup_steps": WARMUP,
            "scheduler": "cosine", "entries": entries, "lr_per_step": lrs, "grad_norm_per_step": norms}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    init.numpy().astype("<f4").tofile(os.path.join(out, "init.bin"))
    torch.stack(grads).numpy().astype("<f4").tofile(os.path.join(out, "grads.bin"))
    torch.stack(after).numpy().astype("<f4").tofile(os.path.join(out, "params.bin"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: torch_adamw.py <output-dir>")
    main(sys.argv[1])
