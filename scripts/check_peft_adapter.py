#!/usr/bin/env python3
"""Checks that a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, e.g. one
the Swift code wrote) loads in PEFT on its base model and gives the expected numbers.

    .venv/bin/python scripts/check_peft_adapter.py BASE ADAPTER_DIR [--expected FILE.json] [--tolerance 1e-3]
        [--prompt TEXT | --prompt-ids '[1,2,3]'] [--max-new-tokens 8] [--stop-id 2] [--full-logits]

BASE is a Hugging Face model folder or a GGUF file (loaded by transformers' GGUF loader, float32).
It runs PeftModel.from_pretrained(base, ADAPTER_DIR), prints one JSON object on stdout (the prompt,
the first 16 last-position logits, the top 10 ids and logits, the greedy continuation, how far the
adapter moves the logits and how far merge_and_unload() is from the adapter) and, with --expected,
compares (keys in scripts/check_common.py) and exits 1 on a mismatch beyond the tolerance. It
always checks that the merged model's logits equal the adapter's within the tolerance. The prompt
is --prompt-ids, else the expected file's prompt_ids, else --prompt through the tokenizer (the
GGUF's, or the folder's if it has one). No network (HF_HUB_OFFLINE=1).
"""
import argparse, json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_common import add_arguments, choose_prompt, compare, log, report, run


def load_base(path, dtype):
    if os.path.isfile(path):
        folder, name = os.path.dirname(path) or ".", os.path.basename(path)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=dtype)
        return model.eval(), AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).eval()
    has_tokenizer = any(os.path.exists(os.path.join(path, f)) for f in ("tokenizer.json", "vocab.json"))
    return model, AutoTokenizer.from_pretrained(path) if has_tokenizer else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="a Hugging Face model folder or a .gguf file")
    parser.add_argument("adapter", help="a PEFT adapter folder")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    add_arguments(parser)
    args = parser.parse_args()
    dtype = getattr(torch, args.dtype)

    expected = json.load(open(args.expected)) if args.expected else {}
    base, tokenizer = load_base(args.base, dtype)
    prompt_ids, text = choose_prompt(args, expected, tokenizer)
    base_logits, _ = run(base, prompt_ids, 0)
    model = PeftModel.from_pretrained(base, args.adapter).eval()
    config = model.peft_config["default"]
    log(f"loaded {args.adapter}: {config.peft_type.value} r={config.r} alpha={config.lora_alpha} "
        f"targets={sorted(config.target_modules)} fan_in_fan_out={config.fan_in_fan_out}")
    logits, greedy = run(model, prompt_ids, args.max_new_tokens, args.stop_id)
    merged = model.merge_and_unload()
    merged_logits, _ = run(merged, prompt_ids, 0)
    merged_diff = float((merged_logits - logits).abs().max())
    effect = float((logits - base_logits).abs().max())
    extra = {"adapter": {"r": config.r, "lora_alpha": config.lora_alpha, "target_modules": sorted(config.target_modules),
                         "fan_in_fan_out": config.fan_in_fan_out},
             "adapter_effect_max_abs_logit": effect, "merged_vs_adapter_max_abs_logit": merged_diff}
    if args.full_logits:
        extra["logits"] = logits.tolist()
    print(json.dumps(report(prompt_ids, text, logits, greedy, tokenizer, extra)))
    log(f"adapter moves the logits by up to {effect:.3e}; merge_and_unload() differs by {merged_diff:.2e}")
    failures = compare(expected, prompt_ids, logits, greedy, args.tolerance, tokenizer)
    if not merged_diff <= args.tolerance:
        failures.append(f"merged logits differ from the adapter's by {merged_diff:.2e}")
    if effect == 0.0:
        log("warning: the adapter does not change the logits (lora_B all zero?)")
    for f in failures:
        log("MISMATCH:", f)
    if failures:
        sys.exit(1)
    log("OK" + (f": matches {args.expected} within {args.tolerance}" if args.expected else ""))


if __name__ == "__main__":
    main()
