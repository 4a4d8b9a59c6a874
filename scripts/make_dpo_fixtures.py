"""Reference numbers for the preference-optimisation losses, in float64 from TRL's DPOTrainer
formulas (Tests/Fixtures/dpo/losses.json).

Conventions, as TRL computes them (trl/trainer/dpo_trainer.py):
  * log-probabilities are sums over each response's tokens (the completion mask), policy and
    reference alike; h = (logp_c - logp_r) - (ref_c - ref_r).
  * sigmoid (DPO, and cDPO with label smoothing eps, as TRL's `DPOTrainer.dpo_loss` had it through
    v0.28; v0.29 folded the losses into `_compute_loss`, whose sigmoid no longer smooths labels):
        loss = -(1 - eps) * logsigmoid(beta * h) - eps * logsigmoid(-beta * h)
  * ipo: the chosen and rejected log-ratios are each divided by their response's token count
    (clamped to at least 1) before the difference is taken, then
        loss = (h_mean - 1 / (2 * beta)) ** 2
  * the batch loss is the mean over pairs; the gradient is d loss / d (policy logps) by autograd.
  * metrics (TRL's names): rewards/chosen = mean beta * (logp_c - ref_c), rewards/rejected
    likewise, rewards/accuracies = mean [reward_c > reward_r] (strict), rewards/margins = mean
    (reward_c - reward_r), logps/chosen and logps/rejected = mean summed policy log-probs. As in
    TRL's current trainer, the rewards use the summed log-ratios for every loss type.

    python scripts/make_dpo_fixtures.py
"""
import json, os
import torch
import torch.nn.functional as F

torch.manual_seed(11)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "dpo")
os.makedirs(OUT, exist_ok=True)
D = torch.float64


def reference_loss(loss_type, beta, eps, logp_c, logp_r, ref_c, ref_r, len_c, len_r):
    if loss_type == "sigmoid":
        h = (logp_c - logp_r) - (ref_c - ref_r)
        losses = -(1 - eps) * F.logsigmoid(beta * h) - eps * F.logsigmoid(-beta * h)
    elif loss_type == "ipo":
        h = (logp_c - ref_c) / len_c.clamp(min=1) - (logp_r - ref_r) / len_r.clamp(min=1)
        losses = (h - 1 / (2 * beta)) ** 2
    else:
        raise ValueError(loss_type)
    return losses.mean()


def case(name, loss_type, beta, eps, logp_c, logp_r, ref_c, ref_r, len_c, len_r):
    logp_c = torch.tensor(logp_c, dtype=D, requires_grad=True)
    logp_r = torch.tensor(logp_r, dtype=D, requires_grad=True)
    ref_c, ref_r = torch.tensor(ref_c, dtype=D), torch.tensor(ref_r, dtype=D)
    len_c, len_r = torch.tensor(len_c, dtype=D), torch.tensor(len_r, dtype=D)
    loss = reference_loss(loss_type, beta, eps, logp_c, logp_r, ref_c, ref_r, len_c, len_r)
    loss.backward()
    reward_c = beta * (logp_c - ref_c).detach()
    reward_r = beta * (logp_r - ref_r).detach()
    return {
        "name": name, "loss_type": loss_type, "beta": beta, "label_smoothing": eps,
        "policy_chosen": logp_c.tolist(), "policy_rejected": logp_r.tolist(),
        "reference_chosen": ref_c.tolist(), "reference_rejected": ref_r.tolist(),
        "chosen_lengths": [int(v) for v in len_c.tolist()], "rejected_lengths": [int(v) for v in len_r.tolist()],
        "loss": loss.item(),
        "gradient_chosen": logp_c.grad.tolist(), "gradient_rejected": logp_r.grad.tolist(),
        "metrics": {
            "rewards/chosen": reward_c.mean().item(),
            "rewards/rejected": reward_r.mean().item(),
            "rewards/accuracies": (reward_c > reward_r).to(D).mean().item(),
            "rewards/margins": (reward_c - reward_r).mean().item(),
            "logps/chosen": logp_c.detach().mean().item(),
            "logps/rejected": logp_r.detach().mean().item(),
        },
    }


def random_batch(n, spread):
    """Summed log-probs of responses of 1..12 tokens (about -2 nats a token), policy near reference."""
    len_c = torch.randint(1, 13, (n,)).tolist()
    len_r = torch.randint(1, 13, (n,)).tolist()
    ref_c = [-2.0 * l + 0.5 * torch.randn(()).item() for l in len_c]
    ref_r = [-2.0 * l + 0.5 * torch.randn(()).item() for l in len_r]
    logp_c = [r + spread * torch.randn(()).item() for r in ref_c]
    logp_r = [r + spread * torch.randn(()).item() for r in ref_r]
    return logp_c, logp_r, ref_c, ref_r, len_c, len_r


batch = random_batch(6, 1.5)
wide = random_batch(6, 40.0)
# One pair whose rewards tie exactly (not counted as accurate) and one far in each tail of the
# sigmoid, where a naive log(sigmoid) would underflow.
edge = ([-10.0, -3.0, -400.0], [-12.0, -500.0, -2.0], [-10.0, -20.0, -10.0], [-12.0, -20.0, -10.0], [5, 3, 40], [6, 50, 2])

cases = [
    case("dpo", "sigmoid", 0.1, 0.0, *batch),
    case("dpo_wide", "sigmoid", 0.5, 0.0, *wide),
    case("dpo_edge", "sigmoid", 0.5, 0.0, *edge),
    case("cdpo", "sigmoid", 0.1, 0.1, *batch),
    case("cdpo_wide", "sigmoid", 0.3, 0.25, *wide),
    case("cdpo_edge", "sigmoid", 0.5, 0.2, *edge),
    case("ipo", "ipo", 0.1, 0.0, *batch),
    case("ipo_wide", "ipo", 0.5, 0.0, *wide),
    case("ipo_edge", "ipo", 1.0, 0.0, *edge),
]

with open(os.path.join(OUT, "losses.json"), "w") as f:
    json.dump({"source": f"scripts/make_dpo_fixtures.py, torch {torch.__version__} float64", "cases": cases}, f, indent=1)
print(f"wrote {len(cases)} cases to {os.path.join(OUT, 'losses.json')}")
