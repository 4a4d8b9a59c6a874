"""The repetition penalty as transformers applies it (Tests/Fixtures/evaluation/
repetition_penalty.json), for Sources/Transformer/Sampler+RepetitionPenalty.swift:

  processor   float32 logits before and after RepetitionPenaltyLogitsProcessor, for penalties
              above and below 1, rows whose history repeats tokens and holds logits of both
              signs and exactly 0; the Swift side must match bit for bit.
  greedy      greedy continuations of the tiny GPT-2 checkpoint (Tests/Fixtures/gpt2-tiny, from
              scripts/make_gpt2_fixtures.py) by model.generate(repetition_penalty=...), one prompt
              per call: transformers penalises a batch's left padding as if it were text, which
              the Swift sampler deliberately does not.

    python scripts/make_repetition_penalty_fixtures.py
"""
import json, os
import torch
from transformers import GPT2LMHeadModel
from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
OUT = os.path.join(ROOT, "evaluation")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(3)

B, V, L = 3, 29, 9
history = torch.randint(0, V, (B, L))
history[0, 4:] = history[0, 0]  # one token seen five times is penalised once
logits = torch.randn(B, V, dtype=torch.float32) * 3
logits[1, history[1, 2]] = 0.0
processor_cases = []
for penalty in [1.3, 0.77, 2.0]:
    out = RepetitionPenaltyLogitsProcessor(penalty=penalty)(history, logits.clone())
    processor_cases.append({"penalty": penalty, "after": out.reshape(-1).tolist()})

model = GPT2LMHeadModel.from_pretrained(os.path.join(ROOT, "gpt2-tiny")).eval()
prompts = [[5, 17, 5, 33], [40], [12, 12, 7, 50, 3, 21]]
greedy_cases = []
for penalty in [1.8, 0.6]:
    continuations = []
    for prompt in prompts:
        ids = model.generate(torch.tensor([prompt]), max_new_tokens=14, do_sample=False, repetition_penalty=penalty,
                             pad_token_id=60, eos_token_id=60)
        continuations.append(ids[0, len(prompt):].tolist())
    greedy_cases.append({"penalty": penalty, "continuations": continuations})

with open(os.path.join(OUT, "repetition_penalty.json"), "w") as f:
    json.dump({"vocabulary": V, "history": history.tolist(), "before": logits.reshape(-1).tolist(),
               "processor": processor_cases, "prompts": prompts, "maxNewTokens": 14, "stopToken": 60,
               "greedy": greedy_cases}, f, indent=1)
print("wrote", OUT)
