#!/usr/bin/env python3
"""SmolLM2-135M-Instruct's log-likelihood of responses given their prompts, from transformers'
own GGUF loader (Tests/Fixtures/evaluation/fluency_smollm2.json), for the fluency perplexity of
Sources/Evaluation/FluencyScorer.swift. Prompt and response are encoded apart (no special
tokens), the response scored given the prompt; the pairs mix fluent review continuations with the
degenerate answers reward hacking produces.

  .venv/bin/python scripts/make_fluency_fixtures.py [data/models/SmolLM2-135M-Instruct.Q4_1.gguf]
"""
import json, sys
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

path = Path(sys.argv[1] if len(sys.argv) > 1 else "data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, torch_dtype=torch.float32).eval()

pairs = [
    ("This movie is", " a warm, funny and beautifully acted story about two brothers who never quite grow up."),
    ("The plot of the film", " moves slowly at first, but the final act is tense and surprisingly moving."),
    ("I thought the acting was", " good good good good good good good good good good."),
    ("This movie is", " goodness is lidece with a good, it's good"),
    ("The director", " funny."),
    ("A film that", " right. right. right. right."),
]
rows = []
with torch.no_grad():
    for prompt, response in pairs:
        p = tokenizer.encode(prompt, add_special_tokens=False)
        r = tokenizer.encode(response, add_special_tokens=False)
        logits = model(torch.tensor([p + r])).logits[0].double()
        log_probs = torch.log_softmax(logits[len(p) - 1:-1], dim=-1)
        token_log_probs = log_probs[torch.arange(len(r)), torch.tensor(r)]
        rows.append({"prompt": prompt, "response": response, "prompt_ids": p, "response_ids": r,
                     "nll": float(-token_log_probs.sum())})
tokens = sum(len(r["response_ids"]) for r in rows)
fixture = {"source": "transformers %s GGUF loader on %s" % (__import__("transformers").__version__, path.name),
           "pairs": rows, "tokens": tokens, "mean_nll": sum(r["nll"] for r in rows) / tokens}
out = Path(__file__).resolve().parent.parent / "Tests/Fixtures/evaluation/fluency_smollm2.json"
out.write_text(json.dumps(fixture, indent=1) + "\n")
print("wrote", out, [round(r["nll"] / len(r["response_ids"]), 3) for r in rows])
