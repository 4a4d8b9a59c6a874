#!/usr/bin/env python3
"""The PyTorch side of `rlhf-bench ppo --model FILE.gguf`: PPO with a PEFT LoRA policy on
SmolLM2-135M-Instruct (float32, the GGUF file's weights as transformers' GGUF loader dequantises
them), one iteration phase by phase, as the Swift side runs it:

  generation      model.generate of the batch of ChatML prompts (left-padded), sampling at the
                  temperature with top_k 0 / top_p 1, up to --new-tokens, stopping at <|im_end|>
                  (a batch runs until every row has stopped or the limit)
  policy_forward  the log-probabilities of the response tokens at the temperature and the values
                  of the scalar head (nn.Linear on the final hidden state) at the positions that
                  predict them, read off generate's own logits and last hidden states
                  (output_logits, output_hidden_states), as the Swift side reads them off its
                  decoding pass; with --separate-forward, TRL's way: a no-grad forward of
                  prompts + responses with the adapters
  reference       the same forward inside `with model.disable_adapter():` (the base, no copy)
  scoring         the rule-based scorer: decode prompt and response, score the response's word
                  count against a target (the same rule as the Swift side's RuleBasedScorer)
  optimization    k1 KL penalty (beta 0.05) with the score on the last real token, GAE (gamma 1,
                  lambda 0.95) with masked whitening of the advantages, then epochs x minibatches
                  of TRL's clipped surrogate + 0.1 x clipped value loss, backward, each gradient
                  norm clipped to 1 (adapters, head), AdamW (lr 5e-5 / 1e-4, betas 0.9/0.95, no decay)

The LoRA adapters: r 8, alpha 16, dropout 0 on q/k/v/o/gate/up/down_proj. Iteration 0 warms up;
the medians of the timed iterations after it are printed as one JSON line (phase seconds, total,
peak_memory_mb = ru_maxrss of this process, mean response and prompt lengths).

    .venv/bin/python scripts/bench_torch_ppo_lora.py GGUF --prompts '["Explain rain.", ...]'
        [--iterations 2] [--threads 2] [--new-tokens 32] [--epochs 4] [--minibatches 4]

The GGUF file is dequantised into a temporary float32 folder by a subprocess first (with the
tokenizer), so this process's peak RSS is the PPO run's, not the GGUF loader's. Progress goes to
stderr. No network: HF_HUB_OFFLINE=1.
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bench_torch_smollm2 as smollm2

TEMPERATURE, KL_COEFFICIENT, GAMMA, LAMBDA = 0.7, 0.05, 1.0, 0.95
CLIP, VALUE_CLIP, VALUE_COEFFICIENT, MAX_NORM = 0.2, 0.2, 0.1, 1.0
LEARNING_RATE, VALUE_LEARNING_RATE = 5e-5, 1e-4
TARGET_WORDS = 24


def score_rule(prompt, response):
    """The benchmark's rule-based reward: 1 at TARGET_WORDS words, falling linearly either side."""
    return 1 - abs(len(response.split()) - TARGET_WORDS) / TARGET_WORDS


def masked_mean(x, mask):
    return (x * mask).sum() / mask.sum()


def masked_whiten(x, mask):
    mean = masked_mean(x, mask)
    centred = (x - mean) * mask
    variance = (centred ** 2).sum() / (mask.sum() - 1)  # Bessel's correction, as TRL's masked_var
    return (x - mean) * torch.rsqrt(variance + 1e-8)


class Policy:
    """A PEFT LoRA model with a value head on its final hidden states."""

    def __init__(self, folder, args):
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        self.model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=smollm2.LORA_TARGETS,
                                                     bias="none", task_type="CAUSAL_LM"))
        self.model.eval()
        causal = self.model.get_base_model()
        self.backbone, self.lm_head = causal.model, causal.lm_head
        self.value_head = torch.nn.Linear(base.config.hidden_size, 1, bias=False)
        torch.nn.init.normal_(self.value_head.weight, std=1 / (base.config.hidden_size + 1) ** 0.5)
        self.adapters = [p for p in self.model.parameters() if p.requires_grad]
        adam = dict(betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
        self.optimizers = [torch.optim.AdamW(self.adapters, lr=LEARNING_RATE, **adam),
                           torch.optim.AdamW(self.value_head.parameters(), lr=VALUE_LEARNING_RATE, **adam)]
        self.stop = self.tokenizer.convert_tokens_to_ids("<|im_end|>")

    def outputs(self, batch, rows=slice(None)):
        """Response log-probabilities [B, R] at the temperature and values [B, R] (the states predicting each token)."""
        ids, mask, P, R = batch["ids"][rows], batch["attention"][rows], batch["prompt_length"], batch["response_length"]
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        hidden = self.backbone(input_ids=ids, attention_mask=mask, position_ids=positions).last_hidden_state
        states = hidden[:, P - 1:P - 1 + R]
        logits = self.lm_head(states) / TEMPERATURE
        log_probs = torch.log_softmax(logits, -1).gather(-1, batch["responses"][rows, :, None])[..., 0]
        return log_probs, self.value_head(states)[..., 0]


def generate(policy, prompts, args):
    from transformers import GenerationConfig
    pad = policy.stop
    P = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (P - len(p)) + p for p in prompts])
    attention = torch.tensor([[0] * (P - len(p)) + [1] * len(p) for p in prompts])
    read = not args.separate_forward
    config = GenerationConfig(do_sample=True, temperature=TEMPERATURE, top_k=0, top_p=1.0, max_new_tokens=args.new_tokens,
                              eos_token_id=policy.stop, pad_token_id=pad, return_dict_in_generate=True,
                              output_logits=read, output_hidden_states=read)
    with torch.no_grad():
        out = policy.model.generate(input_ids=ids, attention_mask=attention, generation_config=config)
    steps = out.sequences.shape[1] - P
    responses = torch.full((len(prompts), args.new_tokens), pad)
    responses[:, :steps] = out.sequences[:, P:]
    # A response ends at its first stop token (kept, as the Swift side keeps it); later tokens are padding.
    stopped = (responses == policy.stop).int()
    after_stop = (stopped.cumsum(1) - stopped) > 0
    response_mask = (~after_stop).float()
    readings = None
    if read:
        with torch.no_grad():
            logits = torch.stack(out.logits, 1) / TEMPERATURE
            log_probs = torch.log_softmax(logits, -1).gather(-1, responses[:, :steps, None])[..., 0]
            # Each step's last layer output (after the final norm) at the position that chose the token.
            states = torch.stack([step[-1][:, -1] for step in out.hidden_states], 1)
            values = policy.value_head(states)[..., 0]
            padded = lambda x: torch.nn.functional.pad(x, (0, args.new_tokens - steps)) * response_mask
            readings = (padded(log_probs), padded(values))
    return {"ids": torch.cat([ids, responses], 1), "attention": torch.cat([attention, torch.ones_like(responses)], 1),
            "responses": responses, "mask": response_mask, "prompt_length": P, "response_length": args.new_tokens,
            "prompts": prompts, "readings": readings}


def score(policy, batch):
    tokenizer = policy.tokenizer
    texts = [tokenizer.decode(p) for p in batch["prompts"]]
    responses = [tokenizer.decode([t for t, m in zip(row, mask) if m and t != policy.stop])
                 for row, mask in zip(batch["responses"].tolist(), batch["mask"].tolist())]
    return torch.tensor([score_rule(p, r) for p, r in zip(texts, responses)])


def advantages_and_returns(log_probs, reference, values, scores, mask):
    rewards = -KL_COEFFICIENT * (log_probs - reference) * mask
    last = mask.sum(1).long() - 1
    rewards[torch.arange(len(scores)), last] += scores
    values = values * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(len(scores))
    for t in reversed(range(rewards.shape[1])):
        following = values[:, t + 1] if t + 1 < rewards.shape[1] else 0.0
        running = rewards[:, t] + GAMMA * following - values[:, t] + GAMMA * LAMBDA * running
        advantages[:, t] = running
    returns = advantages + values
    return masked_whiten(advantages, mask) * mask, returns


def optimize(policy, batch, old_log_probs, old_values, advantages, returns, args):
    mask, count = batch["mask"], len(batch["prompts"])
    size = count // args.minibatches
    for _ in range(args.epochs):
        order = torch.randperm(count)
        for start in range(0, count, size):
            rows = order[start:start + size]
            log_probs, values = policy.outputs(batch, rows)
            ratio = torch.exp(log_probs - old_log_probs[rows])
            surrogate = torch.max(-advantages[rows] * ratio, -advantages[rows] * ratio.clamp(1 - CLIP, 1 + CLIP))
            clipped_values = old_values[rows] + (values - old_values[rows]).clamp(-VALUE_CLIP, VALUE_CLIP)
            value_loss = torch.max((values - returns[rows]) ** 2, (clipped_values - returns[rows]) ** 2)
            loss = masked_mean(surrogate, mask[rows]) + VALUE_COEFFICIENT * 0.5 * masked_mean(value_loss, mask[rows])
            for optimizer in policy.optimizers:
                optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.adapters, MAX_NORM)
            torch.nn.utils.clip_grad_norm_(policy.value_head.parameters(), MAX_NORM)
            for optimizer in policy.optimizers:
                optimizer.step()


def iteration(policy, prompts, args):
    times, clock = {}, time.perf_counter()

    def lap(phase):
        nonlocal clock
        now = time.perf_counter()
        times[phase], clock = now - clock, now
    batch = generate(policy, prompts, args)
    lap("generation")
    if batch["readings"] is not None:
        log_probs, values = batch["readings"]
    else:
        with torch.no_grad():
            log_probs, values = policy.outputs(batch)
    lap("policy_forward")
    with torch.no_grad(), policy.model.disable_adapter():
        reference, _ = policy.outputs(batch)
    lap("reference")
    scores = score(policy, batch)
    lap("scoring")
    advantages, returns = advantages_and_returns(log_probs, reference, values, scores, batch["mask"])
    policy.model.train()
    optimize(policy, batch, log_probs, values, advantages, returns, args)
    policy.model.eval()
    lap("optimization")
    return times, batch["mask"].sum(1).mean().item()


def run(args, folder):
    smollm2.import_torch(args.threads)
    global torch
    torch = smollm2.torch
    torch.manual_seed(0)
    policy = Policy(folder, args)
    prompts = [policy.tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True, tokenize=True,
                                                    return_dict=False) for text in json.loads(args.prompts)]
    runs = []
    for index in range(args.iterations + 1):
        times, length = iteration(policy, prompts, args)
        smollm2.log(f"iteration {index}{' (warm-up)' if index == 0 else ''}: " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
        if index > 0:
            runs.append((times, length))
    result = {phase: statistics.median(t[phase] for t, _ in runs) for phase in runs[0][0]}
    result["total"] = sum(result.values())
    result.update(peak_memory_mb=smollm2.peak_rss_mb(), mean_response_tokens=statistics.mean(length for _, length in runs),
                  mean_prompt_tokens=statistics.mean(len(p) for p in prompts), threads=args.threads,
                  implementation=f"pytorch {torch.__version__}, transformers {__import__('transformers').__version__}, "
                                 f"peft {__import__('peft').__version__}")
    print(json.dumps(result))


def dequantise(args):
    """The subprocess: the GGUF file as a float32 Hugging Face folder with its tokenizer."""
    smollm2.import_torch(args.threads)
    from transformers import AutoTokenizer
    directory, name = os.path.dirname(args.model) or ".", os.path.basename(args.model)
    smollm2.save_float32(smollm2.load(args.model), args.save_float32)
    AutoTokenizer.from_pretrained(directory, gguf_file=name).save_pretrained(args.save_float32)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default="data/models/SmolLM2-135M-Instruct.Q4_1.gguf", help="the GGUF file")
    parser.add_argument("--prompts", help="a JSON array of user messages, one prompt each (the batch)")
    parser.add_argument("--iterations", type=int, default=2, help="timed iterations after the warm-up")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--minibatches", type=int, default=4)
    parser.add_argument("--separate-forward", action="store_true",
                        help="read the old log-probabilities and values by a second forward (TRL) instead of off generate")
    parser.add_argument("--save-float32", metavar="DIR", help=argparse.SUPPRESS)  # the dequantising subprocess
    args = parser.parse_args()
    if args.save_float32:
        dequantise(args)
        sys.exit()
    if not args.prompts:
        parser.error("--prompts is required (rlhf-bench passes the Swift side's prompts)")
    folder = tempfile.mkdtemp(prefix="smollm2-ppo-f32-")
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, os.path.abspath(__file__), args.model, "--save-float32", folder, "--threads", str(args.threads)],
                       stdout=subprocess.DEVNULL, check=True)
        smollm2.log(f"dequantised {args.model} in {time.perf_counter() - start:.1f} s")
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
