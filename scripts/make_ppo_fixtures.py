"""Reference numbers for the PPO arithmetic, written from TRL's PPOTrainer formulas and OpenAI's
lm-human-preferences KL controller (Tests/Fixtures/ppo/ppo_math.json).

Conventions shared with the Swift code (PolicyOptimization/RLHFMath.swift):
  * KL per token: k1 = logp - ref_logp; k3 = (exp(logr) - 1) - logr with logr = ref_logp - logp.
  * rewards = -beta * kl, plus each row's score on its last real token.
  * masked_whiten: (x - mean) * rsqrt(var + 1e-8) with the unbiased masked variance.
  * GAE over each row with values after the last real token taken as 0 (the episode ends there;
    TRL keeps one more value, read at a padding position).
  * losses: TRL's clipped surrogate and clipped value loss (0.5 * masked mean of the max), the
    statistics logged beside them, and A2C's plain policy-gradient and squared-error losses.

    python scripts/make_ppo_fixtures.py
"""
import json, math, os
import torch

torch.manual_seed(5)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "ppo")
os.makedirs(OUT, exist_ok=True)
D = torch.float64
B, R = 4, 7
lengths = [7, 3, 5, 1]
mask = torch.tensor([[1.0 if t < n else 0.0 for t in range(R)] for n in lengths], dtype=D)


def masked_mean(x, m):
    return (x * m).sum() / m.sum()


def masked_var(x, m):
    mean = masked_mean(x, m)
    var = masked_mean((x - mean) ** 2, m)
    return var * m.sum() / (m.sum() - 1)


def masked_whiten(x, m, shift_mean=True):
    mean, var = masked_mean(x, m), masked_var(x, m)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    return out if shift_mean else out + mean


def rows(t):
    return [float(v) for v in t.reshape(-1).tolist()]


logp = (torch.randn(B, R, dtype=D) - 2) * mask
ref = (logp + 0.3 * torch.randn(B, R, dtype=D)) * mask
values = torch.randn(B, R, dtype=D) * mask
scores = torch.randn(B, dtype=D)
beta, gamma, lam = 0.07, 0.99, 0.9

logr = ref - logp
kl_k1 = (-logr) * mask
kl_k3 = ((logr.exp() - 1) - logr) * mask
non_score = -beta * kl_k1
rewards = non_score.clone()
last = torch.tensor(lengths) - 1
rewards[torch.arange(B), last] += scores
whitened_rewards = torch.where(mask > 0, masked_whiten(rewards, mask, shift_mean=False), rewards)

advantages = torch.zeros(B, R, dtype=D)
running = torch.zeros(B, dtype=D)
for t in reversed(range(R)):
    next_values = values[:, t + 1] if t < R - 1 else torch.zeros(B, dtype=D)
    delta = rewards[:, t] + gamma * next_values - values[:, t]
    running = delta + gamma * lam * running
    advantages[:, t] = running
returns = advantages + values
whitened_advantages = masked_whiten(advantages, mask) * mask

controller = []
coef = 0.2
for kl in [1.0, 3.9, 8.0, 12.5, 0.0]:  # target 4, horizon 10000, 256 samples per update
    error = min(max(kl / 4.0 - 1, -0.2), 0.2)
    coef *= 1 + error * 256 / 10000
    controller.append(coef)

# Losses: gradients with respect to the new log-probabilities and values.
new_logp = (logp + 0.25 * torch.randn(B, R, dtype=D)).requires_grad_(True)
new_values = (values + 0.3 * torch.randn(B, R, dtype=D)).requires_grad_(True)
eps, eps_v = 0.2, 0.2
ratio = torch.exp(new_logp - logp)
pg = torch.max(-whitened_advantages * ratio, -whitened_advantages * torch.clamp(ratio, 1 - eps, 1 + eps))
pg_loss = masked_mean(pg, mask)
v_clipped = values + torch.clamp(new_values - values, -eps_v, eps_v)
vf = torch.max((new_values - returns) ** 2, (v_clipped - returns) ** 2)
vf_loss = 0.5 * masked_mean(vf, mask)
(pg_loss + vf_loss).backward()

# The statistics logged beside them (TRL's pg_clipfrac, approxkl, vf_clipfrac; the ratio's mean
# and population variance over real tokens), and A2C's unclipped losses on the same inputs.
pg_clipfrac = masked_mean((-whitened_advantages * torch.clamp(ratio, 1 - eps, 1 + eps) > -whitened_advantages * ratio).to(D), mask)
approxkl = 0.5 * masked_mean((new_logp - logp) ** 2, mask)
ratio_mean = masked_mean(ratio, mask)
ratio_var = masked_mean((ratio - ratio_mean) ** 2, mask)
vf_clipfrac = masked_mean(((v_clipped - returns) ** 2 > (new_values - returns) ** 2).to(D), mask)
a2c_logp = new_logp.detach().clone().requires_grad_(True)
a2c_values = new_values.detach().clone().requires_grad_(True)
a2c_pg_loss = masked_mean(-whitened_advantages * a2c_logp, mask)
a2c_vf_loss = 0.5 * masked_mean((a2c_values - returns) ** 2, mask)
(a2c_pg_loss + a2c_vf_loss).backward()

with open(os.path.join(OUT, "ppo_math.json"), "w") as f:
    json.dump({
        "rows": B, "columns": R, "mask": rows(mask), "logp": rows(logp), "ref": rows(ref), "values": rows(values),
        "scores": rows(scores), "beta": beta, "gamma": gamma, "lambda": lam,
        "kl_k1": rows(kl_k1), "kl_k3": rows(kl_k3), "non_score": rows(non_score), "rewards": rows(rewards),
        "whitened_rewards": rows(whitened_rewards), "advantages": rows(whitened_advantages), "returns": rows(returns),
        "controller": {"initial": 0.2, "target": 4.0, "horizon": 10000.0, "samples": 256,
                       "kls": [1.0, 3.9, 8.0, 12.5, 0.0], "coefficients": controller},
        "losses": {"new_logp": rows(new_logp.detach()), "new_values": rows(new_values.detach()), "clip": eps, "value_clip": eps_v,
                   "policy_loss": float(pg_loss), "value_loss": float(vf_loss),
                   "policy_gradient": rows(new_logp.grad), "value_gradient": rows(new_values.grad),
                   "clip_fraction": float(pg_clipfrac), "approximate_kl": float(approxkl), "ratio_mean": float(ratio_mean),
                   "ratio_variance": float(ratio_var), "value_clip_fraction": float(vf_clipfrac)},
        "a2c": {"policy_loss": float(a2c_pg_loss), "value_loss": float(a2c_vf_loss),
                "policy_gradient": rows(a2c_logp.grad), "value_gradient": rows(a2c_values.grad)},
    }, f, separators=(",", ":"))
print("wrote", OUT)
