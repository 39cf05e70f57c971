#!/usr/bin/python3
"""PyTorch reference loss and gradients for training every architecture slmops runs (llm.c style golden files).

For each tiny random-weight model of torch_forward.py (same configs, same weights, same forward written from
transformers' modeling code) this script runs a batch of two token sequences with a loss mask, and writes:

    config.json, model.safetensors        the model (Hugging Face layout, F32)
    batch.json                            {"examples": [{"tokens": [...], "lossOn": [...]}, ...]}
    full.json, full_grads.safetensors     summed cross-entropy and d(sum)/d(every weight) (full fine-tuning)
    lora.json, lora_adapter.safetensors,  the LoRA settings, adapter values (PEFT key names, B non-zero so that
    lora_grads.safetensors                every gradient is exercised), summed loss and d(sum)/d(every A and B)

    steps.json                            20 AdamW steps (torch.optim.AdamW, clip_grad_norm_, HF cosine schedule with
                                          warmup) on the batch, full fine-tuning and LoRA: the loss (mean over
                                          targets) before each step; llama only (STEPS_ARCHS)

LoRA is applied as y = x W^T + s (x A^T) B^T with s = alpha / r (alpha / sqrt(r) for rsLoRA), dropout 0.
The loss is the sum over predicted tokens (token i predicted from 0..i-1 where lossOn[i]) of -log softmax.

Run with Debian's python3 (apt-get install python3-torch python3-numpy):
    /usr/bin/python3 scripts/reference/torch_train.py train/src/test/resources/golden/torch-train
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_forward as tf  # noqa: E402

LENGTHS = (48, 29)   # two sequences of different lengths in one batch
PROMPT = (9, 4)      # leading tokens of each sequence that are not predicted (a prompt)
LORA_R, LORA_ALPHA = 4, 8.0
# The 20-step run: settings mirrored by train/src/test/.../TorchTrainStepsTest.
STEPS, STEP_LR, STEP_WARMUP, STEP_WD, STEP_CLIP = 20, 1e-3, 2, 0.01, 1.0
STEP_BETAS, STEP_EPS = (0.9, 0.999), 1e-8
STEPS_ARCHS = ("llama",)


def cosine_with_warmup(step):
    """transformers' get_cosine_schedule_with_warmup lambda (half a period)."""
    if step < STEP_WARMUP:
        return step / max(1, STEP_WARMUP)
    progress = (step - STEP_WARMUP) / max(1, STEPS - STEP_WARMUP)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def train_steps(groups, loss_fn, targets):
    """STEPS AdamW steps: loss (mean over targets) before each step; grads clipped to STEP_CLIP by global norm."""
    opt = torch.optim.AdamW(groups, lr=STEP_LR, betas=STEP_BETAS, eps=STEP_EPS)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine_with_warmup)
    params = [p for g in groups for p in g["params"]]
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn() / targets
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, STEP_CLIP)
        opt.step()
        sched.step()
        losses.append(float(loss))
    return losses


def decays(name):
    """Weight decay on matrices and embeddings, not on norms and biases (as slmops' FullFineTuning entries)."""
    return name.endswith(".weight") and "norm" not in name


def configs():
    cfgs = tf.tiny_configs()
    # Exercise both soft-caps in training (gemma3's defaults are none).
    cfgs["gemma3"] = dict(cfgs["gemma3"], attn_logit_softcapping=0.5, final_logit_softcapping=3.0)
    return cfgs


def lora_targets(model_type):
    if model_type == "phi3":
        return ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]
    return ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def peft_key(weight_name, which):
    """model.layers.0.self_attn.q_proj.weight -> base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"""
    return "base_model.model." + weight_name[: -len(".weight")] + ".lora_" + which + ".weight"


def loss_sum(cfg, w, batch):
    total = torch.zeros((), dtype=torch.float32)
    for ex in batch:
        tokens = torch.tensor(ex["tokens"])
        logits = tf.forward(cfg, w, tokens)
        mask = torch.tensor(ex["lossOn"][1:])
        targets = tokens[1:]
        logp = torch.log_softmax(logits[:-1], dim=-1)
        nll = -logp.gather(1, targets[:, None])[:, 0]
        total = total + (nll * mask.float()).sum()
    return total


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "golden-train"
    torch.set_num_threads(1)
    for seed, (name, cfg) in enumerate(sorted(configs().items())):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        w = tf.make_weights(cfg, 1000 + seed)
        g = torch.Generator().manual_seed(3000 + seed)
        batch = []
        for n, p in zip(LENGTHS, PROMPT):
            toks = torch.randint(3, cfg["vocab_size"], (n,), generator=g).tolist()
            batch.append({"tokens": toks, "lossOn": [i >= p for i in range(n)]})
        targets = sum(sum(ex["lossOn"][1:]) for ex in batch)

        # --- full fine-tuning: gradient of every weight
        params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
        loss = loss_sum(cfg, params, batch)
        loss.backward()
        grads = {k: v.grad.detach() for k, v in params.items()}

        # --- LoRA on every projection
        rs = name == "qwen2"  # one architecture checks rsLoRA's scale
        scale = LORA_ALPHA / (math.sqrt(LORA_R) if rs else LORA_R)
        mods = lora_targets(cfg["model_type"])
        adapter = {}
        for k in sorted(w):
            if any(k.endswith("." + m + ".weight") for m in mods):
                out_f, in_f = w[k].shape
                adapter[peft_key(k, "A")] = (torch.randn(LORA_R, in_f, generator=g) / math.sqrt(in_f)).float()
                adapter[peft_key(k, "B")] = (torch.randn(out_f, LORA_R, generator=g) * 0.05).float()
        lora_params = {k: v.clone().requires_grad_(True) for k, v in adapter.items()}
        merged = dict(w)
        for k in w:
            if peft_key(k, "A") in lora_params:
                a, b = lora_params[peft_key(k, "A")], lora_params[peft_key(k, "B")]
                merged[k] = w[k] + scale * (b @ a)
        lora_loss = loss_sum(cfg, merged, batch)
        lora_loss.backward()
        lora_grads = {k: v.grad.detach() for k, v in lora_params.items()}

        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
        tf.write_safetensors(os.path.join(d, "model.safetensors"), w)
        with open(os.path.join(d, "batch.json"), "w") as f:
            json.dump({"examples": batch}, f)
        with open(os.path.join(d, "full.json"), "w") as f:
            json.dump({"loss_sum": float(loss), "tokens": targets}, f, indent=2)
        tf.write_safetensors(os.path.join(d, "full_grads.safetensors"), grads)
        with open(os.path.join(d, "lora.json"), "w") as f:
            json.dump({"r": LORA_R, "alpha": LORA_ALPHA, "rslora": rs, "target_modules": mods,
                       "loss_sum": float(lora_loss), "tokens": targets}, f, indent=2)
        tf.write_safetensors(os.path.join(d, "lora_adapter.safetensors"), adapter)
        tf.write_safetensors(os.path.join(d, "lora_grads.safetensors"), lora_grads)
        print(f"{name}: loss {float(loss):.6f} over {targets} tokens, lora loss {float(lora_loss):.6f}")

        if name in STEPS_ARCHS:
            fp = {k: v.clone().requires_grad_(True) for k, v in w.items()}
            full_losses = train_steps([
                {"params": [fp[k] for k in sorted(fp) if decays(k)], "weight_decay": STEP_WD},
                {"params": [fp[k] for k in sorted(fp) if not decays(k)], "weight_decay": 0.0}],
                lambda: loss_sum(cfg, fp, batch), targets)
            lp = {k: v.clone().requires_grad_(True) for k, v in adapter.items()}

            def lora_loss_fn():
                m = dict(w)
                for k in w:
                    if peft_key(k, "A") in lp:
                        m[k] = w[k] + scale * (lp[peft_key(k, "B")] @ lp[peft_key(k, "A")])
                return loss_sum(cfg, m, batch)
            lora_losses = train_steps([{"params": [lp[k] for k in sorted(lp)], "weight_decay": STEP_WD}],
                                      lora_loss_fn, targets)
            with open(os.path.join(d, "steps.json"), "w") as f:
                json.dump({"steps": STEPS, "lr": STEP_LR, "warmup": STEP_WARMUP, "weight_decay": STEP_WD,
                           "max_grad_norm": STEP_CLIP, "betas": STEP_BETAS, "eps": STEP_EPS, "scheduler": "cosine",
                           "full_losses": full_losses, "lora_losses": lora_losses}, f, indent=2)
            print(f"{name}: 20 steps full {full_losses[0]:.5f} -> {full_losses[-1]:.5f}, "
                  f"lora {lora_losses[0]:.5f} -> {lora_losses[-1]:.5f}")


if __name__ == "__main__":
    main()
