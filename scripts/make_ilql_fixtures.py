"""Reference numbers for ILQL (Tests/Fixtures/ilql/*.json), re-derived in float64 from trlX's
ILQLConfig.loss (trlx/models/modeling_ilql.py) and make_experience's reward standardisation
(trlx/trainer/accelerate_ilql_trainer.py).

Conventions shared with Sources/OfflineRL/ILQLLoss.swift:
  * logits, qs, target_qs are the heads' outputs at the R action slots [B, R, V]; vs is V at the
    R + 1 state slots [B, R + 1]; dones [B, R + 1] is trlX's (1 = the episode goes on), its
    first R columns the per-action mask, n = max(1, mask total).
  * loss_q = sum over Q-heads of sum(((Q - (r + gamma * V' * dones')) * mask)^2) / n, V' detached.
  * loss_v = expectile regression of V on min(target Q) with weight tau above, 1 - tau below.
  * loss_cql = sum over Q-heads of the masked cross-entropy of Q (as logits) at the actions / n.
  * loss_awac = masked LM cross-entropy weighted by exp(beta * (min target Q - V)) (detached) / n.
  * loss = loss_q + loss_v + cql_scale * loss_cql + awac_scale * loss_awac.
Every input is rounded to float32 first, so the Swift test reads exactly the same numbers.

    python scripts/make_ilql_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "ilql")
D = torch.float64


def as_float32(t):
    return t.float().to(D)


def tensor(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def masked_stats(x, mask, n):
    mean = (x * mask).sum() / n
    picked = x[mask.bool()]
    return {
        "mean": float(mean),
        "min": float(picked.min()),
        "max": float(picked.max()),
        "std": float(torch.sqrt(((x - mean) * mask).pow(2).sum() / n)),
    }


def ilql_loss(logits, qs, target_qs, vs, actions, rewards, dones, tau, gamma, cql_scale, awac_scale, beta):
    mask = dones[:, :-1]
    n = max(1.0, float(mask.sum()))
    B, R, V = logits.shape
    index = actions.unsqueeze(-1)
    Q = [q.gather(-1, index).squeeze(-1) for q in qs]
    target_q = torch.stack([t.gather(-1, index).squeeze(-1) for t in target_qs]).min(dim=0).values.detach()
    value = vs[:, :-1]
    next_value = vs[:, 1:] * dones[:, 1:]
    q_target = rewards + gamma * next_value.detach()
    loss_q = sum(((q - q_target) * mask).pow(2).sum() / n for q in Q)
    above = (target_q >= value).to(D)
    loss_v = ((above * tau + (1 - above) * (1 - tau)) * (target_q - value).pow(2) * mask).sum() / n

    def cross_entropy(z):
        return F.cross_entropy(z.reshape(-1, V), actions.reshape(-1), reduction="none").reshape(B, R)

    loss_cql = sum((cross_entropy(q) * mask).sum() / n for q in qs)
    awac_weight = torch.exp(beta * (target_q - value)).detach()
    loss_awac = (cross_entropy(logits) * awac_weight * mask).sum() / n
    loss = loss_q + loss_v + cql_scale * loss_cql + awac_scale * loss_awac
    stats = {"values": masked_stats(value.detach(), mask, n), "awac_weight": masked_stats(awac_weight, mask, n)}
    for i, q in enumerate(Q):
        stats[f"qvalues/{i}"] = masked_stats(q.detach(), mask, n)
    return loss, {"loss": loss, "loss_q": loss_q, "loss_v": loss_v, "loss_cql": loss_cql, "loss_awac": loss_awac}, stats


def case(name, seed, lengths, R, V, heads, tau, gamma, cql_scale, awac_scale, beta):
    torch.manual_seed(seed)
    B = len(lengths)
    dones = torch.tensor([[1.0 if j < n else 0.0 for j in range(R + 1)] for n in lengths], dtype=D)
    logits = as_float32(2 * torch.randn(B, R, V, dtype=D)).requires_grad_()
    qs = [as_float32(torch.randn(B, R, V, dtype=D)).requires_grad_() for _ in range(heads)]
    target_qs = [as_float32(torch.randn(B, R, V, dtype=D)) for _ in range(heads)]
    vs = as_float32(torch.randn(B, R + 1, dtype=D)).requires_grad_()
    actions = torch.randint(0, V, (B, R))
    rewards = as_float32(torch.randn(B, R, dtype=D))
    loss, terms, stats = ilql_loss(logits, qs, target_qs, vs, actions, rewards, dones, tau, gamma, cql_scale, awac_scale, beta)
    loss.backward()
    return {
        "settings": {"tau": tau, "gamma": gamma, "cql_scale": cql_scale, "awac_scale": awac_scale, "beta": beta},
        "inputs": {
            "logits": tensor(logits.detach()),
            "qs": [tensor(q.detach()) for q in qs],
            "target_qs": [tensor(t) for t in target_qs],
            "vs": tensor(vs.detach()),
            "actions": [int(a) for a in actions.reshape(-1).tolist()],
            "rewards": tensor(rewards),
            "dones": tensor(dones),
        },
        "terms": {k: float(v.detach()) for k, v in terms.items()},
        "gradients": {
            "logits": tensor(logits.grad),
            "qs": [tensor(q.grad) for q in qs],
            "vs": tensor(vs.grad),
        },
        "statistics": stats,
    }


def standardised_returns():
    """make_experience: returns - mean, divided by (unbiased std + float64 eps)."""
    rewards = torch.tensor([1.0, 0.0, 0.25, -2.0, 0.5, 1.0], dtype=D)
    returns = rewards - rewards.mean()
    returns = returns / (returns.std() + torch.finfo(D).eps)
    return {"rewards": rewards.tolist(), "standardised": returns.tolist()}


def main():
    os.makedirs(OUT, exist_ok=True)
    fixture = {
        "two_heads": case("two_heads", 11, [4, 2, 1], 4, 7, 2, 0.7, 0.99, 0.1, 1.0, 0.0),
        "one_head_weighted": case("one_head_weighted", 12, [3, 4], 4, 9, 1, 0.6, 0.9, 0.5, 0.7, 0.8),
        # The AWAC weight and the minimum over two target heads together.
        "two_heads_weighted": case("two_heads_weighted", 13, [3, 4, 2], 4, 8, 2, 0.8, 0.95, 0.2, 0.6, 0.9),
        "returns": standardised_returns(),
    }
    with open(os.path.join(OUT, "ilql_loss.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
