"""Writes a tiny GPT-2 checkpoint with Hugging Face transformers and the reference numbers the
Swift model must reproduce (Tests/Fixtures/gpt2-tiny/):

  config.json, model.safetensors   the checkpoint, as GPT2LMHeadModel.save_pretrained writes it
  reference.json                   inputs, logits, loss, every parameter gradient, greedy
                                   continuations (single and left-padded batch), the losses of
                                   10 AdamW steps, and a scalar (sequence-classification) head's
                                   outputs on the same backbone

    python scripts/make_gpt2_fixtures.py
"""
import json, math, os
import torch
from transformers import GPT2Config, GPT2LMHeadModel, GPT2ForSequenceClassification

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "gpt2-tiny")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)

config = GPT2Config(vocab_size=61, n_positions=24, n_embd=16, n_layer=2, n_head=2,
                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=60, eos_token_id=60)
model = GPT2LMHeadModel(config).eval()
with torch.no_grad():  # larger, non-trivial values than HF's init so outputs (and greedy text) vary
    for name, p in model.named_parameters():
        p.add_(torch.randn_like(p) * (0.1 if "ln" in name or name.endswith("bias") else 0.3))
model.save_pretrained(OUT, safe_serialization=True)
os.remove(os.path.join(OUT, "generation_config.json"))  # generation defaults: not part of the model


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


B, T = 2, 11
ids = torch.randint(0, config.vocab_size, (B, T))
labels = ids.clone()
labels[0, :3] = -100
out = model(input_ids=ids, labels=labels)
out.loss.backward()
gradients = {n.removeprefix("transformer."): flat(p.grad) for n, p in model.named_parameters()}
model.zero_grad()

prompt = ids[:1, :5]
greedy = model.generate(prompt, max_new_tokens=12, do_sample=False, pad_token_id=60)[0, 5:].tolist()
prompts = [ids[0, :3].tolist(), ids[1, :7].tolist()]
padded = torch.tensor([[0] * 4 + prompts[0], prompts[1]])
mask = torch.tensor([[0] * 4 + [1] * 3, [1] * 7])
batched = model.generate(padded, attention_mask=mask, max_new_tokens=8, do_sample=False, pad_token_id=0)[:, 7:].tolist()

classifier = GPT2ForSequenceClassification.from_pretrained(OUT, num_labels=1, pad_token_id=60).eval()
with torch.no_grad():
    classifier.score.weight.copy_(torch.randn(1, config.n_embd) * 0.5)
    hidden = classifier.transformer(input_ids=ids).last_hidden_state
    scalars = classifier.score(hidden)[..., 0]
score_weight = flat(classifier.score.weight)

# 10 AdamW steps, warmup 3 then cosine to 1e-4, decay on matrices only, clipping at 1.
params = dict(model.named_parameters())
decay = [p for n, p in params.items() if p.dim() >= 2]
rest = [p for n, p in params.items() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                        lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
model.train()
losses = []
for step in range(10):
    lr = 3e-3 * (step + 1) / 3 if step < 3 else 1e-4 + 0.5 * (1 + math.cos(math.pi * (step - 3) / 7)) * (3e-3 - 1e-4)
    for g in opt.param_groups:
        g["lr"] = lr
    opt.zero_grad()
    loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    losses.append(float(loss))

with open(os.path.join(OUT, "reference.json"), "w") as f:
    json.dump({"batch": B, "time": T, "ids": ids.reshape(-1).tolist(),
               "labels": [int(v) if v >= 0 else -1 for v in labels.reshape(-1).tolist()],
               "logits": flat(out.logits), "loss": float(out.loss), "gradients": gradients,
               "greedyPrompt": prompt[0].tolist(), "greedy": greedy,
               "batchedPrompts": prompts, "batchedGreedy": batched,
               "scoreWeight": score_weight, "scalars": flat(scalars),
               "trainingLosses": losses}, f, separators=(",", ":"))
print("wrote", OUT)
