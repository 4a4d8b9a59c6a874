#!/usr/bin/env python3
"""Checks that a Llama model folder written by the Swift side (config.json, model.safetensors and,
if present, tokenizer.json) loads in Hugging Face transformers (AutoModelForCausalLM,
AutoTokenizer) and gives the expected numbers, as scripts/check_transformers_export.py does for
GPT-2 folders.

    .venv/bin/python scripts/check_llama_export.py MODEL_DIR [--expected FILE.json] [--tolerance 1e-3]
        [--prompt TEXT | --prompt-ids '[1,2,3]'] [--max-new-tokens 8] [--stop-id 2] [--full-logits]

Prints one JSON object on stdout (the model's configuration summary, the prompt ids, the first 16
last-position logits, the top 10 ids and logits, the greedy continuation and its text) and, with
--expected (keys in scripts/check_common.py: prompt_ids/text, logits, last_logits, top_ids,
greedy_ids), compares and exits 1 on a mismatch beyond the tolerance; with a tokenizer and the
expected "text", its ids must equal "prompt_ids". The prompt is --prompt-ids, else the expected
file's prompt_ids, else --prompt through the folder's tokenizer (default: SmolLM2's ChatML
question "What is the capital of France?" without a system message). No network.
"""
import argparse, json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_common import add_arguments, choose_prompt, compare, log, report, run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a Llama Hugging Face folder")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    add_arguments(parser)
    args = parser.parse_args()

    expected = json.load(open(args.expected)) if args.expected else {}
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=getattr(torch, args.dtype)).eval()
    c = model.config
    assert c.model_type == "llama", f"model_type is {c.model_type}, not llama"
    tokenizer = AutoTokenizer.from_pretrained(args.model) if os.path.exists(os.path.join(args.model, "tokenizer.json")) else None
    if tokenizer is None:
        log("no tokenizer.json in the folder: ids only")
    prompt_ids, text = choose_prompt(args, expected, tokenizer)
    logits, greedy = run(model, prompt_ids, args.max_new_tokens, args.stop_id)
    summary = {"config": {"vocab_size": c.vocab_size, "hidden_size": c.hidden_size, "layers": c.num_hidden_layers,
                          "heads": c.num_attention_heads, "kv_heads": c.num_key_value_heads,
                          "intermediate_size": c.intermediate_size, "rope_theta": c.rope_parameters.get("rope_theta"),
                          "rms_norm_eps": c.rms_norm_eps, "tie_word_embeddings": c.tie_word_embeddings}}
    if args.full_logits:
        summary["logits"] = logits.tolist()
    print(json.dumps(report(prompt_ids, text, logits, greedy, tokenizer, summary)))
    failures = compare(expected, prompt_ids, logits, greedy, args.tolerance, tokenizer)
    for f in failures:
        log("MISMATCH:", f)
    if failures:
        sys.exit(1)
    log("OK" + (f": matches {args.expected} within {args.tolerance}" if args.expected else ""))


if __name__ == "__main__":
    main()
