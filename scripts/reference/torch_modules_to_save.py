#!/usr/bin/python3
"""PyTorch reference for LoRA with PEFT's modules_to_save (llm.c style golden files).

For three of torch_train.py's tiny models (read back from its golden directory: the same config, weights and batch)
this script builds an adapter as PEFT would hold it: LoRA pairs on some projections plus full trainable copies of
the modules named in modules_to_save, selected by PEFT's rule (a module whose dotted name ends with the given name;
utils/other.py _set_trainable), and computes the summed loss and the gradient of every adapter tensor:

    llama        untied head; q_proj, v_proj + modules_to_save [lm_head, input_layernorm]
    qwen3        tied embeddings; all projections + [embed_tokens, lm_head, norm] ("norm" selects model.norm and
                 every layer's input_layernorm, post_attention_layernorm, q_norm, k_norm): head and embedding are
                 two separate copies, both initialised from the one tied table
    llama3-rope  tied embeddings; q_proj, k_proj + [embed_tokens]: the input embedding is a trained copy, the
                 output head stays the original table (PEFT's wrapper copies the module, which unties it)

Written per case under <out>/<name>/:
    adapter/adapter_config.json, adapter/adapter_model.safetensors   a PEFT adapter directory (PEFT key names:
        base_model.model.<module>.lora_A.weight, ..., base_model.model.<tensor name> for saved modules); B and the
        saved copies are perturbed away from their initial values so that every gradient path is exercised
    case.json            settings, the saved tensor names, loss_sum and the count of predicted tokens
    grads.safetensors    d(loss_sum)/d(every adapter tensor), under the adapter's keys

Run with Debian's python3 (apt-get install python3-torch python3-numpy):
    /usr/bin/python3 scripts/reference/torch_modules_to_save.py \
        train/src/test/resources/golden/torch-train train/src/test/resources/golden/torch-modules-to-save
"""
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_forward as tf  # noqa: E402
from torch_train import loss_sum, peft_key  # noqa: E402

LORA_R, LORA_ALPHA = 4, 8.0
CASES = {
    "llama": (["q_proj", "v_proj"], ["lm_head", "input_layernorm"]),
    "qwen3": (["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
              ["embed_tokens", "lm_head", "norm"]),
    "llama3-rope": (["q_proj", "k_proj"], ["embed_tokens"]),
}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32", name
        a, b = h["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(h["shape"]).clone()
    return out


def selected(tensor_name, keys):
    """PEFT's modules_to_save rule: the tensor's module, or a module enclosing it, ends with one of the keys."""
    parts = tensor_name.split(".")[:-1]
    modules = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    return any(m.endswith(k) for m in modules for k in keys)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "train/src/test/resources/golden/torch-train"
    out = sys.argv[2] if len(sys.argv) > 2 else "golden-modules-to-save"
    torch.set_num_threads(1)
    for seed, (name, (targets, to_save)) in enumerate(sorted(CASES.items())):
        with open(os.path.join(src, name, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(src, name, "batch.json")) as f:
            batch = json.load(f)["examples"]
        w = read_safetensors(os.path.join(src, name, "model.safetensors"))
        tied = "lm_head.weight" not in w
        g = torch.Generator().manual_seed(5000 + seed)
        scale = LORA_ALPHA / LORA_R

        adapter = {}
        for k in sorted(w):
            if any(k.endswith("." + m + ".weight") for m in targets):
                out_f, in_f = w[k].shape
                adapter[peft_key(k, "A")] = (torch.randn(LORA_R, in_f, generator=g) / math.sqrt(in_f)).float()
                adapter[peft_key(k, "B")] = (torch.randn(out_f, LORA_R, generator=g) * 0.05).float()
        candidates = dict(w)
        if tied:
            candidates["lm_head.weight"] = w["model.embed_tokens.weight"]  # the tied head is a module of its own
        saved = [k for k in sorted(candidates) if selected(k, to_save)]
        for k in saved:
            base = candidates[k]
            adapter["base_model.model." + k] = (base + torch.randn(base.shape, generator=g) * 0.02).float()

        params = {k: v.clone().requires_grad_(True) for k, v in adapter.items()}
        merged = dict(w)
        if tied:
            merged["lm_head.weight"] = w["model.embed_tokens.weight"]  # unless saved: the original table
        for k in saved:
            merged[k] = params["base_model.model." + k]
        for k in w:
            if peft_key(k, "A") in params:
                merged[k] = w[k] + scale * (params[peft_key(k, "B")] @ params[peft_key(k, "A")])
        loss = loss_sum(cfg, merged, batch)
        loss.backward()
        grads = {k: v.grad.detach() for k, v in params.items()}
        tokens = sum(sum(ex["lossOn"][1:]) for ex in batch)

        d = os.path.join(out, name)
        os.makedirs(os.path.join(d, "adapter"), exist_ok=True)
        tf.write_safetensors(os.path.join(d, "adapter", "adapter_model.safetensors"), adapter)
        with open(os.path.join(d, "adapter", "adapter_config.json"), "w") as f:
            json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": None,
                       "r": LORA_R, "lora_alpha": LORA_ALPHA, "lora_dropout": 0.0, "use_rslora": False,
                       "use_dora": False, "bias": "none", "fan_in_fan_out": False, "target_modules": targets,
                       "modules_to_save": to_save, "rank_pattern": {}, "alpha_pattern": {}}, f, indent=2)
        tf.write_safetensors(os.path.join(d, "grads.safetensors"), grads)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump({"r": LORA_R, "alpha": LORA_ALPHA, "rslora": False, "target_modules": targets,
                       "modules_to_save": to_save, "saved_tensors": saved, "tied": tied,
                       "loss_sum": float(loss), "tokens": tokens}, f, indent=2)
        print(f"{name}: loss {float(loss):.6f} over {tokens} tokens; saved {saved}")


if __name__ == "__main__":
    main()
