"""Checks that a fine-tuned reward-model folder written by `rlhf reward train` loads in Hugging Face
transformers as AutoModelForSequenceClassification and scores as `rlhf reward score --raw` does:
each (prompt, response) pair is read as rlhf reads it (prompt ids + response ids, then the
end-of-text id when config.json's reward_ends_with_end_of_text is true, keeping the last
reward_maximum_tokens), one sequence at a time, and the single logit is compared.

    python scripts/check_reward_export.py REWARD_DIR PAIRS.jsonl [--rlhf .build/release/rlhf] [--tolerance 1e-4]

PAIRS.jsonl holds {"prompt": ..., "response": ...} lines. A head on a frozen backbone has no
weights in its folder to load; point this script at a fine-tuned one.
"""
import argparse, json, subprocess, tempfile
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("pairs")
parser.add_argument("--rlhf", default=".build/release/rlhf")
parser.add_argument("--tolerance", type=float, default=1e-4)
args = parser.parse_args()

config = json.load(open(f"{args.model}/config.json"))
if "frozen_backbone" in config:
    raise SystemExit(f"{args.model} is a head on a frozen backbone; only fine-tuned reward models hold a whole classifier")
pairs = [json.loads(line) for line in open(args.pairs, encoding="utf-8") if line.strip()]
with tempfile.NamedTemporaryFile(suffix=".jsonl") as out:
    subprocess.run([args.rlhf, "reward", "score", "--model", args.model, "--input", args.pairs, "--output", out.name, "--raw"], check=True)
    ours = [json.loads(line)["reward"] for line in open(out.name) if line.strip()]

tokenizer = AutoTokenizer.from_pretrained(args.model)
model = AutoModelForSequenceClassification.from_pretrained(args.model).eval()
end = [config["eos_token_id"]] if config.get("reward_ends_with_end_of_text", True) else []
limit = config.get("reward_maximum_tokens", 10**9)
worst = 0.0
with torch.no_grad():
    for pair, mine in zip(pairs, ours):
        ids = tokenizer.encode(pair["prompt"], add_special_tokens=False) + tokenizer.encode(pair["response"], add_special_tokens=False) + end
        ids = ids[-limit:]
        theirs = model(input_ids=torch.tensor([ids])).logits[0, 0].item()
        worst = max(worst, abs(theirs - mine) / max(1.0, abs(theirs)))
print(f"{len(pairs)} pairs: largest difference of the raw reward {worst:.2e} (relative above 1)")
assert worst < args.tolerance, f"rewards differ by {worst:.2e} > {args.tolerance}"
gain, bias = config["reward_gain"], config["reward_bias"]
print(f"OK: transformers' {config['architectures'][0]} gives rlhf's raw rewards; rlhf's reward is {gain:.4f}·raw + {bias:.4f}")
