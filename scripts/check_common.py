"""Shared by scripts/check_peft_adapter.py and scripts/check_llama_export.py (not run by itself):
the prompt choice, logits and greedy ids of a causal LM on it, and the comparison with an expected
JSON file.

Expected JSON (every key optional):
  "prompt_ids":  [int]          the prompt (used when no --prompt-ids is given); with a tokenizer
                                and "text", the tokenizer's ids of "text" must equal it
  "text":        str            the prompt's text
  "logits":      [[float]]      logits at every prompt position (each row may be a prefix of the vocabulary)
  "last_logits": [float]        logits at the last prompt position (a prefix of the vocabulary is fine)
  "top_ids":     [int]          the ids of the largest last-position logits, in order
  "greedy_ids":  [int]          the greedy continuation (compared over its length)
Logits are compared by the largest absolute difference against --tolerance.
"""
import json, sys
import torch


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def choose_prompt(args, expected, tokenizer):
    """--prompt-ids, else the expected file's prompt_ids, else the tokenized --prompt text."""
    if args.prompt_ids:
        return json.loads(args.prompt_ids), None
    if "prompt_ids" in expected:
        return list(expected["prompt_ids"]), expected.get("text")
    if tokenizer is None:
        raise SystemExit("no tokenizer in the model folder: give --prompt-ids or an expected file with prompt_ids")
    return tokenizer.encode(args.prompt, add_special_tokens=False), args.prompt


@torch.no_grad()
def run(model, prompt_ids, max_new_tokens, stop_id=None):
    """Logits at every prompt position and the greedy continuation (argmax every step, by
    model.generate with the KV cache; stops early only at stop_id)."""
    ids = torch.tensor([prompt_ids])
    logits = model(input_ids=ids).logits[0].float()
    greedy = []
    if max_new_tokens > 0:
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                             do_sample=False, num_beams=1, eos_token_id=stop_id, pad_token_id=0 if stop_id is None else stop_id)
        greedy = out[0, len(prompt_ids):].tolist()
    return logits, greedy


def compare(expected, prompt_ids, logits, greedy, tolerance, tokenizer=None):
    """Returns a list of failure messages (empty: everything matches)."""
    failures = []
    if tokenizer is not None and "text" in expected and "prompt_ids" in expected:
        ids = tokenizer.encode(expected["text"], add_special_tokens=False)
        if ids != list(expected["prompt_ids"]):
            failures.append(f"tokenizer ids of the text differ: {ids[:20]} vs {list(expected['prompt_ids'])[:20]}")
    if "prompt_ids" in expected and list(expected["prompt_ids"]) != list(prompt_ids):
        failures.append("the prompt differs from the expected file's prompt_ids")
    if "logits" in expected:
        rows = expected["logits"]
        if len(rows) != logits.shape[0]:
            failures.append(f"logits: {len(rows)} expected rows, {logits.shape[0]} positions")
        else:
            diff = max(float((logits[t, :len(r)] - torch.tensor(r, dtype=torch.float32)).abs().max()) for t, r in enumerate(rows))
            log(f"logits at every position: max |diff| {diff:.2e}")
            if not diff <= tolerance:
                failures.append(f"logits differ by {diff:.2e} > {tolerance}")
    if "last_logits" in expected:
        want = torch.tensor(expected["last_logits"], dtype=torch.float32)
        diff = float((logits[-1, :len(want)] - want).abs().max())
        log(f"last-position logits ({len(want)}): max |diff| {diff:.2e}")
        if not diff <= tolerance:
            failures.append(f"last-position logits differ by {diff:.2e} > {tolerance}")
    if "top_ids" in expected:
        want = list(expected["top_ids"])
        got = torch.topk(logits[-1], len(want)).indices.tolist()
        if got != want:
            failures.append(f"top ids differ: {got} vs {want}")
    if "greedy_ids" in expected:
        want = list(expected["greedy_ids"])
        if greedy[:len(want)] != want:
            failures.append(f"greedy ids differ: {greedy} vs {want}")
    return failures


def report(prompt_ids, text, logits, greedy, tokenizer, extra=None):
    top = torch.topk(logits[-1], min(10, logits.shape[-1]))
    out = {"prompt_ids": prompt_ids, "text": text, "vocab_size": logits.shape[-1],
           "last_logits_first16": [round(float(v), 6) for v in logits[-1, :16]],
           "top_ids": top.indices.tolist(), "top_logits": [round(float(v), 6) for v in top.values],
           "greedy_ids": greedy}
    if tokenizer is not None:
        out["greedy_text"] = tokenizer.decode(greedy)
    out.update(extra or {})
    return out


def add_arguments(parser):
    parser.add_argument("--expected", help="a JSON file of expected numbers (keys: see scripts/check_common.py)")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="largest allowed |logit difference| (default 1e-3)")
    parser.add_argument("--prompt", default="<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
                        help="prompt text when neither --prompt-ids nor the expected file gives ids (needs a tokenizer)")
    parser.add_argument("--prompt-ids", help="the prompt as a JSON list of ids")
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--stop-id", type=int, help="stop the greedy continuation at this id (default: never)")
    parser.add_argument("--full-logits", action="store_true", help="print the logits at every prompt position too")
