#!/usr/bin/env python3
"""Reference outputs of SmolLM2-135M-Instruct (the GGUF file scripts/fetch-data.sh fetches) from
Hugging Face transformers' own GGUF loader (gguf's dequantization, LlamaForCausalLM, the
converted fast tokenizer), for Tests/Fixtures/llama/smollm2.json.

  .venv/bin/python scripts/make_llama_fixtures.py [data/models/SmolLM2-135M-Instruct.Q4_1.gguf]

Records token ids of awkward texts (and of one with a byte the vocabulary lacks), the chat prompt's next-token logits (top 10 and a fixed
slice), the greedy answer, and the final hidden state at the last token of two review snippets
(what a reward model's scalar head reads).
"""
import json, sys
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

path = Path(sys.argv[1] if len(sys.argv) > 1 else "data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, torch_dtype=torch.float32).eval()

texts = ["Hello world 123", "It's 2024 — naïve café! 🙂", "  two  spaces\n\nnewline", "x1y22z333 4.5e-6",
         "ünïcödé ﬁ ligature\tand\ttabs"]
encodings = [{"text": t, "ids": tokenizer.encode(t, add_special_tokens=False)} for t in texts]
question = "What is the capital of France?"
prompt = [1] + tokenizer.encode("user\n" + question, add_special_tokens=False) + [2] \
    + tokenizer.encode("\n", add_special_tokens=False) + [1] + tokenizer.encode("assistant\n", add_special_tokens=False)
with torch.no_grad():
    logits = model(torch.tensor([prompt])).logits[0, -1]
    top = torch.topk(logits, 10)
    greedy = model.generate(torch.tensor([prompt]), max_new_tokens=12, do_sample=False, eos_token_id=2)[0, len(prompt):].tolist()
    snippets = ["A warm, funny and beautifully acted film.", "Tedious, overlong and never once surprising."]
    hidden = []
    for s in snippets:
        ids = tokenizer.encode(s, add_special_tokens=False)
        out = model(torch.tensor([ids]), output_hidden_states=True)
        hidden.append({"text": s, "ids": ids, "last_hidden": out.hidden_states[-1][0, -1].tolist()})
if greedy and greedy[-1] == 2:
    greedy = greedy[:-1]
# SmolLM2's vocabulary lacks a few control bytes: transformers drops them from the text.
dropped = {"text": "a\x04b\x7fc", "ids": tokenizer.encode("a\x04b\x7fc", add_special_tokens=False)}
fixture = {
    "source": "transformers %s GGUF loader on %s" % (__import__("transformers").__version__, path.name),
    "encodings": encodings,
    "missing_bytes": dropped,
    "chat": {"question": question, "prompt_ids": prompt,
             "top_ids": top.indices.tolist(), "top_logits": top.values.tolist(),
             "logits_0_32": logits[:32].tolist(), "greedy_ids": greedy, "greedy_text": tokenizer.decode(greedy)},
    "hidden": hidden,
}
out = Path(__file__).resolve().parent.parent / "Tests/Fixtures/llama/smollm2.json"
out.write_text(json.dumps(fixture, indent=1) + "\n")
print("wrote", out, "greedy:", repr(fixture["chat"]["greedy_text"]), "top:", fixture["chat"]["top_ids"][:5])
