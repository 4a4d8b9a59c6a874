#!/usr/bin/env python3
"""The loss and gradients of the real SmolLM2-135M-Instruct on one chat exchange, from
transformers' own GGUF loader (float32 weights as it dequantises them), for
Tests/Fixtures/llama/smollm2_training.json.

  .venv/bin/python scripts/make_smollm2_training_fixtures.py [data/models/SmolLM2-135M-Instruct.Q4_1.gguf]

Records the token ids (the chat prompt as the tokenizer's template renders it, then the answer and
<|im_end|>), the mean next-token cross-entropy over the answer tokens only, the global gradient norm
over every parameter, and the gradient norms and 64 evenly spaced gradient elements of a few named
parameters (Hugging Face names; the tied embedding's gradient includes the output head's).
"""
import json, os, sys
from pathlib import Path
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

path = Path(sys.argv[1] if len(sys.argv) > 1 else "data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
torch.set_num_threads(2)
tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, torch_dtype=torch.float32)
model.train()  # no dropout in LlamaForCausalLM's config; train() only enables gradients' bookkeeping

question, answer = "Who are you?", "I'm a chatbot that answers questions about films."
prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True, tokenize=True)
if hasattr(prompt, "keys"):
    prompt = prompt["input_ids"]
answer_ids = tokenizer.encode(answer, add_special_tokens=False) + [tokenizer.convert_tokens_to_ids("<|im_end|>")]
ids = list(prompt) + answer_ids
labels = [-100] * len(prompt) + answer_ids
out = model(torch.tensor([ids]), labels=torch.tensor([labels]))
out.loss.backward()
named = dict(model.named_parameters())


def sampled(parameter):
    count = parameter.numel()
    return list(range(0, count, max(1, count // 64)))[:64]


norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters())).item()
chosen = ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
          "model.layers.15.mlp.down_proj.weight", "model.layers.29.post_attention_layernorm.weight", "model.norm.weight"]
fixture = {
    "source": "transformers %s GGUF loader on %s, float32, torch %s" % (__import__("transformers").__version__, path.name, torch.__version__),
    "question": question, "answer": answer,
    "prompt_ids": list(prompt), "answer_ids": answer_ids,
    "loss": out.loss.item(), "loss_positions": "mean over the answer tokens and <|im_end|> (labels -100 on the prompt)",
    "gradient_norm": norm,
    "parameter_gradient_norms": {name: named[name].grad.norm().item() for name in chosen},
    # Norms alone would pass a permuted or sign-flipped gradient: 64 elements of each, evenly
    # spaced through its row-major values.
    "parameter_gradient_samples": {
        name: {"indices": sampled(named[name]), "values": [named[name].grad.reshape(-1)[i].item() for i in sampled(named[name])]}
        for name in chosen
    },
}
target = Path(__file__).resolve().parent.parent / "Tests/Fixtures/llama/smollm2_training.json"
target.write_text(json.dumps(fixture, indent=1) + "\n")
print("wrote", target, "loss", fixture["loss"], "grad norm", norm)
