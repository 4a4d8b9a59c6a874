#!/usr/bin/env python3
"""Writes PEFT LoRA adapters on the two tiny checkpoints and the reference numbers the Swift LoRA
code must reproduce:

  Tests/Fixtures/llama-tiny-lora/   on Tests/Fixtures/llama-tiny (run make_llama_training_fixtures.py first)
  Tests/Fixtures/gpt2-tiny-lora/    on Tests/Fixtures/gpt2-tiny (Conv1D layers, fan_in_fan_out=True)

each holding
  adapter_config.json, adapter_model.safetensors   as PeftModel.save_pretrained writes them (float32;
                                                   PEFT's README.md model card removed,
                                                   target_modules sorted)
  reference.json                                   the base fixture's inputs, the adapted logits and
                                                   loss, the gradient of every lora_A / lora_B
                                                   (keyed as in adapter_model.safetensors), the
                                                   logits after merge_and_unload() and with the
                                                   adapter disabled

    .venv/bin/python scripts/make_lora_fixtures.py

LoRA: r=4, lora_alpha=8 (scaling 2), dropout 0, bias "none"; lora_A keeps PEFT's seeded default
init (Kaiming-uniform), lora_B is set to seeded N(0, 0.1^2) so the adapter changes the output.
The adapter is saved as float32 and every reference number is computed in float64 from those
float32 values (base weights float32 too; Llama with scripts/llama_float64.py's float64 RMSNorm,
softmax and RoPE). Loss positions are the base fixture's: Llama, target t counts iff
attention_mask[t] == attention_mask[t-1] == 1; GPT-2, target t (1..T-1) counts iff its label is not
-1 (the base fixture's labels, -1 meaning ignored). The loss is the mean cross-entropy over counted
targets.
"""
import copy, json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from safetensors import safe_open
from transformers import GPT2LMHeadModel, LlamaForCausalLM
from peft import LoraConfig, PeftModel, get_peft_model

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import llama_float64
from make_llama_training_fixtures import causal_loss, inputs as llama_inputs, inputs_json as llama_inputs_json

FIXTURES = os.path.normpath(os.path.join(HERE, "..", "Tests", "Fixtures"))
LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
GPT2_TARGETS = ["c_attn", "c_proj", "c_fc"]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def saved_key(parameter_name):
    """named_parameters() name -> the key PEFT writes (the adapter name "default" stripped)."""
    return parameter_name.replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.")


def write_adapter(base32, config, out, base_name, seed):
    """Wraps a float32 base, sets lora_B to seeded noise, saves the adapter."""
    torch.manual_seed(seed)
    model = get_peft_model(base32, config)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    model.peft_config["default"].base_model_name_or_path = base_name  # relative to the repository root
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    # PEFT writes target_modules from a set, in hash order: sort it so the file is reproducible
    config_path = os.path.join(out, "adapter_config.json")
    with open(config_path) as f:
        saved = json.load(f)
    saved["target_modules"] = sorted(saved["target_modules"])
    with open(config_path, "w") as f:
        f.write(json.dumps(saved, indent=2, sort_keys=True))  # PEFT's own format
    readme = os.path.join(out, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
    with safe_open(os.path.join(out, "adapter_model.safetensors"), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def reference(base64, out, stored, forward, loss_of, extra):
    """float64 numbers from the saved adapter on a float64 base."""
    model = PeftModel.from_pretrained(base64, out, is_trainable=True).double()
    named = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert {saved_key(n) for n in named} == set(stored), "trainable parameters differ from the saved keys"
    for n, p in named.items():
        assert p.dtype == torch.float64 and torch.equal(p.detach(), stored[saved_key(n)].double())
    model.eval()
    logits = forward(model)
    loss = loss_of(logits)
    loss.backward()
    gradients = {saved_key(n): flat(p.grad) for n, p in named.items()}
    with torch.no_grad():
        with model.disable_adapter():
            disabled = forward(model)
        merged_model = copy.deepcopy(model).merge_and_unload()
        merged = forward(merged_model)
    merge_diff = (merged - logits).abs().max().item()
    print(out, "loss %.6f, merged vs adapter %.1e, adapter effect %.3f" % (loss.item(), merge_diff, (logits - disabled).abs().max().item()), file=sys.stderr)
    assert merge_diff < 1e-10
    cfg = model.peft_config["default"]
    return {
        "source": "peft %s, transformers %s, torch %s; float64 from the float32 adapter and base"
                  % (__import__("peft").__version__, __import__("transformers").__version__, torch.__version__),
        "lora": {"r": cfg.r, "lora_alpha": cfg.lora_alpha, "scaling": cfg.lora_alpha / cfg.r,
                 "target_modules": sorted(cfg.target_modules), "fan_in_fan_out": cfg.fan_in_fan_out,
                 "lora_dropout": cfg.lora_dropout, "bias": cfg.bias},
        **extra,
        "adapter_shapes": {k: list(v.shape) for k, v in stored.items()},
        "logits_shape": list(logits.shape),
        "logits": logits.tolist(),
        "loss": loss.item(),
        "gradients": gradients,
        "merged_logits": merged.tolist(),
        "disabled_logits": disabled.tolist(),
    }, model


def llama():
    base_dir = os.path.join(FIXTURES, "llama-tiny")
    out = os.path.join(FIXTURES, "llama-tiny-lora")
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=LLAMA_TARGETS, bias="none", task_type="CAUSAL_LM")
    base32 = LlamaForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="sdpa").eval()
    stored = write_adapter(base32, config, out, "Tests/Fixtures/llama-tiny", seed=10)
    ids, mask, position_ids, labels = llama_inputs()
    # stock float32 logits of the saved adapter, for a cross-check
    with torch.no_grad():
        stock = PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="sdpa").eval(), out).eval()
        stock_logits = stock(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
    llama_float64.patch()
    base64 = LlamaForCausalLM.from_pretrained(base_dir, dtype=torch.float64, attn_implementation="eager").eval()
    forward = lambda m: m(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
    fixture, _ = reference(base64, out, stored, forward, lambda logits: causal_loss(logits, labels),
                           llama_inputs_json(ids, mask, position_ids, labels))
    real = mask.bool()
    print("  float64 vs stock float32 logits (real positions): %.1e"
          % (torch.tensor(fixture["logits"])[real] - stock_logits[real].double()).abs().max().item(), file=sys.stderr)
    base_ref = json.load(open(os.path.join(base_dir, "reference.json")))
    assert (torch.tensor(fixture["disabled_logits"])[real] - torch.tensor(base_ref["logits"])[real]).abs().max() < 1e-12
    fixture["note"] = "logits at padding positions (attention_mask 0) are not meaningful; compare where attention_mask == 1"
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


def gpt2():
    base_dir = os.path.join(FIXTURES, "gpt2-tiny")
    out = os.path.join(FIXTURES, "gpt2-tiny-lora")
    base_ref = json.load(open(os.path.join(base_dir, "reference.json")))
    B, T = base_ref["batch"], base_ref["time"]
    ids = torch.tensor(base_ref["ids"]).reshape(B, T)
    labels = torch.tensor(base_ref["labels"]).reshape(B, T).masked_fill(torch.tensor(base_ref["labels"]).reshape(B, T) < 0, -100)
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=GPT2_TARGETS, fan_in_fan_out=True,
                        bias="none", task_type="CAUSAL_LM")
    base32 = GPT2LMHeadModel.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager").eval()
    stored = write_adapter(base32, config, out, "Tests/Fixtures/gpt2-tiny", seed=20)
    base64 = GPT2LMHeadModel.from_pretrained(base_dir, dtype=torch.float64, attn_implementation="eager").eval()
    forward = lambda m: m(input_ids=ids).logits
    extra = {"batch": B, "time": T, "input_ids": ids.tolist(), "labels": labels.tolist(),
             "loss_positions": "target t (1..T-1) of row b counts iff labels[b][t] != -100 (labels are those of "
                               "Tests/Fixtures/gpt2-tiny/reference.json, -1 there); its logits are those at position t-1",
             "counted_targets": int((labels[:, 1:] != -100).sum())}
    fixture, _ = reference(base64, out, stored, forward, lambda logits: causal_loss(logits, labels), extra)
    assert (torch.tensor(fixture["disabled_logits"]).reshape(-1) - torch.tensor(base_ref["logits"])).abs().max() < 1e-4
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


if __name__ == "__main__":
    gpt2()   # before llama(): llama_float64.patch() touches only Llama, but keep GPT-2 stock regardless
    llama()
    print("wrote", os.path.join(FIXTURES, "gpt2-tiny-lora"), "and", os.path.join(FIXTURES, "llama-tiny-lora"), file=sys.stderr)
