#!/usr/bin/env python3
"""Writes a tiny Llama checkpoint (grouped-query attention, tied embeddings) and the training
reference numbers the Swift Llama engine must reproduce (Tests/Fixtures/llama-tiny/):

  config.json, model.safetensors   the checkpoint, float32, as LlamaForCausalLM.save_pretrained
                                   writes it (generation_config.json removed: not part of the model)
  reference.json                   a left-padded batch (input_ids, attention_mask, position_ids),
                                   its logits, the masked next-token loss, every parameter's
                                   gradient, 10 AdamW steps (loss before each step, final weights'
                                   sum and first 8 values) and a greedy KV-cache continuation

    .venv/bin/python scripts/make_llama_training_fixtures.py [OUT_DIR]

The weights are random (seed 0) and saved as float32; every reference number is computed in
float64 from those float32 values (the checkpoint is loaded back and converted to float64), with
scripts/llama_float64.py keeping transformers' RMSNorm, softmax and RoPE in float64 too. The
script checks the float64 numbers against stock transformers in float32 (sdpa attention).

Loss: labels are the input ids with -100 where a target or the token predicting it is padding,
i.e. the target at position t (1..T-1) counts iff attention_mask[t] == 1 and
attention_mask[t-1] == 1; the loss is the mean cross-entropy over the counted targets (HF's
causal-LM loss with those labels). Logits at padding positions are whatever transformers'
eager attention gives a fully masked query (a uniform average); they reach no loss or gradient,
so compare logits only where attention_mask == 1.
"""
import json, os, shutil, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import LlamaConfig, LlamaForCausalLM
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_float64

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "llama-tiny")
OUT = os.path.normpath(OUT)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_config():
    return LlamaConfig(vocab_size=48, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, intermediate_size=24, max_position_embeddings=64,
                       rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True,
                       attention_bias=False, mlp_bias=False, hidden_act="silu",
                       bos_token_id=1, eos_token_id=2, pad_token_id=0)


# The shared inputs (also used by the LoRA fixture): batch 2 x 10, row 1 left-padded by 3.
B, T, PAD = 2, 10, 3


def inputs():
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 48, (B, T), generator=gen)  # 0 pad, 1 bos, 2 eos are not drawn
    ids[1, :PAD] = 0
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, :PAD] = 0
    position_ids = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)  # as transformers' generate does
    labels = ids.clone()
    counted = torch.zeros(B, T, dtype=torch.bool)
    counted[:, 1:] = (mask[:, 1:] == 1) & (mask[:, :-1] == 1)
    labels[~counted] = -100
    return ids, mask, position_ids, labels


def inputs_json(ids, mask, position_ids, labels):
    return {"batch": B, "time": T, "input_ids": ids.tolist(), "attention_mask": mask.tolist(),
            "position_ids": position_ids.tolist(), "labels": labels.tolist(),
            "loss_positions": "target t (1..T-1) of row b counts iff attention_mask[b][t] == 1 and attention_mask[b][t-1] == 1; "
                              "its logits are those at position t-1; labels are -100 elsewhere (including t = 0); "
                              "loss = mean cross-entropy over counted targets",
            "counted_targets": int((labels != -100).sum())}


def load_float64(path):
    """The float32 checkpoint as a float64 model (call llama_float64.patch() first)."""
    return LlamaForCausalLM.from_pretrained(path, dtype=torch.float64, attn_implementation="eager").eval()


def causal_loss(logits, labels):
    """Mean next-token cross-entropy over labels != -100, in the logits' dtype (float64 here;
    transformers' own causal-LM loss would cast the logits to float32 first)."""
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    config = make_config()
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # larger values than HF's init so gradients and greedy text are not trivial
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.save_pretrained(OUT, safe_serialization=True)
    if os.path.exists(os.path.join(OUT, "generation_config.json")):
        os.remove(os.path.join(OUT, "generation_config.json"))

    # Reference numbers from the float32 checkpoint, computed in float64.
    ids, mask, position_ids, labels = inputs()
    # stock transformers in float32 (before the float64 patch), for a cross-check
    stock = LlamaForCausalLM.from_pretrained(OUT, dtype=torch.float32, attn_implementation="sdpa").eval()
    stock_out = stock(input_ids=ids, attention_mask=mask, position_ids=position_ids, labels=labels)
    stock_out.loss.backward()
    stock_grads = {n: p.grad.clone() for n, p in stock.named_parameters()}
    llama_float64.patch()
    model = load_float64(OUT)
    ref_logits = model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
    ref_loss = causal_loss(ref_logits, labels)
    ref_loss.backward()
    real = mask.bool()
    logit_diff = (ref_logits[real] - stock_out.logits[real].double()).abs().max().item()
    grad_diff = max((p.grad - stock_grads[n].double()).abs().max().item() for n, p in model.named_parameters())
    print("float64 vs stock float32: logits %.1e, loss %.1e, gradients %.1e" % (logit_diff, abs(ref_loss.item() - stock_out.loss.item()), grad_diff), file=sys.stderr)
    assert logit_diff < 1e-4 and grad_diff < 1e-4
    params = dict(model.named_parameters())
    gradients = {n: flat(p.grad) for n, p in params.items()}
    shapes = {n: list(p.shape) for n, p in params.items()}
    model.zero_grad()

    # Greedy continuation with the KV cache (no padding), checked against a cache-free argmax loop.
    prompt = torch.tensor([[1, 4, 44, 21, 13]])  # its greedy continuation never reaches eos (2)
    new = 8
    with torch.no_grad():
        generated = model.generate(prompt, max_new_tokens=new, do_sample=False, use_cache=True,
                                   eos_token_id=None, pad_token_id=0)[0, prompt.shape[1]:].tolist()
        seq, margins = prompt[0].tolist(), []
        for _ in range(new):
            logits = model(torch.tensor([seq])).logits[0, -1]
            top = torch.topk(logits, 2).values
            margins.append(float(top[0] - top[1]))
            seq.append(int(logits.argmax()))
        assert seq[prompt.shape[1]:] == generated, (seq, generated)
        # the float32 model gives the same ids
        model32 = LlamaForCausalLM.from_pretrained(OUT, dtype=torch.float32, attn_implementation="eager").eval()
        g32 = model32.generate(prompt, max_new_tokens=new, do_sample=False, use_cache=True, eos_token_id=None, pad_token_id=0)
        assert g32[0, prompt.shape[1]:].tolist() == generated

    # 10 AdamW steps, weight decay on every parameter, no clipping, constant lr.
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = causal_loss(model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits, labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        final_loss = float(causal_loss(model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits, labels))
    # the same 10 steps in float32 (stock transformers), to show how far a float32 engine lands
    stock.train()
    opt32 = torch.optim.AdamW(stock.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses32 = []
    for _ in range(10):
        opt32.zero_grad()
        loss32 = causal_loss(stock(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits, labels)
        loss32.backward()
        opt32.step()
        losses32.append(loss32.item())
    with torch.no_grad():
        p32 = dict(stock.named_parameters())
        weight_diff = max((p - p32[n].double()).abs().max().item() for n, p in model.named_parameters())
    print("10 AdamW steps, float32 vs float64: losses %.1e, weights %.1e"
          % (max(abs(a - b) for a, b in zip(losses, losses32)), weight_diff), file=sys.stderr)
    with torch.no_grad():
        final = {n: {"sum": p.sum().item(), "first8": flat(p.reshape(-1)[:8])} for n, p in model.named_parameters()}

    fixture = {
        "source": "transformers %s LlamaForCausalLM (eager attention, float64 via scripts/llama_float64.py), torch %s, from the float32 checkpoint"
                  % (__import__("transformers").__version__, torch.__version__),
        **inputs_json(ids, mask, position_ids, labels),
        "logits_shape": list(ref_logits.shape), "logits": ref_logits.tolist(),
        "loss": ref_loss.item(),
        "parameter_shapes": shapes,
        "gradients": gradients,
        "adamw": {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "steps": 10,
                  "decay": "every parameter (decoupled, p -= lr*wd*p)", "clipping": None,
                  "losses": losses, "final_loss": final_loss, "final_weights": final},
        "greedy": {"prompt": prompt[0].tolist(), "max_new_tokens": new, "ids": generated,
                   "top2_margins": margins, "note": "pure argmax for 8 steps with the KV cache (model.generate, do_sample False); eos 2 does not occur"},
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    assert abs(losses[0] - fixture["loss"]) < 1e-12
    print("wrote", OUT, "loss", fixture["loss"], "greedy", generated, "losses", [round(l, 4) for l in losses], file=sys.stderr)


if __name__ == "__main__":
    main()
