"""The PyTorch side of `rlhf-bench ppo`: one PPO iteration for a GPT-2-architecture policy, phase
by phase, at the same sizes as the Swift side (the demo's model; batch of prompts, KV-cache
sampling, policy/value/reference/reward forward passes, GAE, epochs x minibatches of clipped
policy and value losses with AdamW). Prints one JSON object of phase times (median of the
timed iterations after a warm-up).

    python scripts/bench_torch_ppo.py [--iterations 3] [--threads 2]
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_torch_gpt import GPT

SIZE = dict(vocab=4096, width=192, layers=4, heads=4, context=128)
BATCH, PROMPT, NEW, EPOCHS, MINIBATCHES, TEMPERATURE = 64, 8, 24, 4, 4, 0.7


class Scalar(nn.Module):
    """The backbone with a scalar head (reward and value models)."""
    def __init__(self):
        super().__init__()
        self.gpt = GPT(**SIZE)
        self.score = nn.Linear(SIZE["width"], 1, bias=False)

    def forward(self, idx):
        g = self.gpt
        x = g.wte(idx) + g.wpe(torch.arange(idx.shape[1]))
        for block in g.blocks:
            x = block(x)
        return self.score(g.ln_f(x))[..., 0]


def log_probs(model, sequences, responses):
    logits = model(sequences)[:, PROMPT - 1:-1] / TEMPERATURE
    return torch.log_softmax(logits, -1).gather(-1, responses[..., None])[..., 0]


def masked_whiten(x):
    return (x - x.mean()) * torch.rsqrt(x.var() + 1e-8)


def iteration(policy, reference, value, reward, opt_policy, opt_value, prompts):
    times = {}
    start = time.perf_counter()
    with torch.no_grad():
        caches = [dict() for _ in policy.blocks]
        logits = policy(prompts, caches, 0)
        tokens = []
        for i in range(NEW):
            token = torch.multinomial(F.softmax(logits[:, -1] / TEMPERATURE, -1), 1)
            tokens.append(token)
            if i < NEW - 1:
                logits = policy(token, caches, PROMPT + i)
        responses = torch.cat(tokens, 1)
        sequences = torch.cat([prompts, responses], 1)
        old_logp = log_probs(policy, sequences, responses)
        values = value(sequences)[:, PROMPT - 1:-1]
    times["rollout"] = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        scores = reward(sequences)[:, -1]
    times["scoring"] = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        ref_logp = log_probs(reference, sequences, responses)
    times["reference"] = time.perf_counter() - start
    start = time.perf_counter()
    rewards = -0.05 * (old_logp - ref_logp)
    rewards[:, -1] += scores
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(BATCH)
    for t in reversed(range(NEW)):
        next_values = values[:, t + 1] if t < NEW - 1 else 0.0
        running = rewards[:, t] + next_values - values[:, t] + 0.95 * running
        advantages[:, t] = running
    returns = advantages + values
    advantages = masked_whiten(advantages)
    size = BATCH // MINIBATCHES
    for _ in range(EPOCHS):
        order = torch.randperm(BATCH)
        for m in range(MINIBATCHES):
            rows = order[m * size:(m + 1) * size]
            logp = log_probs(policy, sequences[rows], responses[rows])
            ratio = torch.exp(logp - old_logp[rows])
            pg = torch.max(-advantages[rows] * ratio, -advantages[rows] * ratio.clamp(0.8, 1.2)).mean()
            v = value(sequences[rows])[:, PROMPT - 1:-1]
            v_clipped = values[rows] + (v - values[rows]).clamp(-0.2, 0.2)
            vf = 0.5 * torch.max((v - returns[rows]) ** 2, (v_clipped - returns[rows]) ** 2).mean()
            loss = pg + 0.1 * vf
            opt_policy.zero_grad()
            opt_value.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            torch.nn.utils.clip_grad_norm_(value.parameters(), 1.0)
            opt_policy.step()
            opt_value.step()
    times["optimization"] = time.perf_counter() - start
    return times


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    policy, reference = GPT(**SIZE), GPT(**SIZE)
    reference.load_state_dict(policy.state_dict())
    value, reward = Scalar(), Scalar()
    opt_policy = torch.optim.AdamW(policy.parameters(), lr=5e-5, betas=(0.9, 0.95), weight_decay=0)
    opt_value = torch.optim.AdamW(value.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0)
    prompts = torch.randint(0, SIZE["vocab"], (BATCH, PROMPT))
    runs = [iteration(policy, reference, value, reward, opt_policy, opt_value, prompts) for _ in range(args.iterations + 1)][1:]
    result = {phase: statistics.median(r[phase] for r in runs) for phase in runs[0]}
    result["total"] = sum(result.values())
    result["implementation"] = "pytorch " + torch.__version__
    print(json.dumps(result))
