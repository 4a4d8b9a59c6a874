"""Checks that a model folder written by `rlhf` loads in Hugging Face transformers and gives the
same numbers: the token ids of a text (GPT2TokenizerFast on vocab.json + merges.txt against
`rlhf tokenize`) and its perplexity (GPT2LMHeadModel against `rlhf perplexity`, same windows).

    python scripts/check_transformers_export.py MODEL_DIR TEXT_FILE [--rlhf .build/release/rlhf]
"""
import argparse, json, math, subprocess
import torch
from transformers import GPT2LMHeadModel, GPT2TokenizerFast

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("text")
parser.add_argument("--rlhf", default=".build/release/rlhf")
args = parser.parse_args()

text = open(args.text, encoding="utf-8").read()
tokenizer = GPT2TokenizerFast.from_pretrained(args.model)
ids = tokenizer(text, add_special_tokens=False)["input_ids"]
ours = json.loads(subprocess.run([args.rlhf, "tokenize", "--model", args.model], input=text.encode(), capture_output=True, check=True).stdout)
assert ids == ours, f"token ids differ: first mismatch at {next(i for i, (a, b) in enumerate(zip(ids, ours)) if a != b)}"

model = GPT2LMHeadModel.from_pretrained(args.model).eval()
window = model.config.n_positions
total, count = 0.0, 0
with torch.no_grad():
    for start in range(0, len(ids), window):
        chunk = torch.tensor([ids[start:start + window]])
        if chunk.shape[1] < 2:
            continue
        logits = model(chunk).logits[0, :-1]
        total += torch.nn.functional.cross_entropy(logits, chunk[0, 1:], reduction="sum").item()
        count += chunk.shape[1] - 1
reference = {"tokens": count, "mean_nll": total / count, "perplexity": math.exp(total / count)}
report = json.loads(subprocess.run([args.rlhf, "perplexity", "--model", args.model, args.text], capture_output=True, check=True).stdout)
print("transformers:", reference)
print("rlhf:        ", report)
assert report["tokens"] == reference["tokens"], "token counts differ"
assert abs(report["mean_nll"] - reference["mean_nll"]) < 1e-4, "mean NLL differs by more than 1e-4"
print(f"OK: {len(ids)} identical token ids; mean NLL within {abs(report['mean_nll'] - reference['mean_nll']):.2e}")
