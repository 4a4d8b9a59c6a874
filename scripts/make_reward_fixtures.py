"""Writes the PyTorch reference fixtures for the reward model's losses (Tests/Fixtures/reward/losses.json).

Each case holds a flat score vector, the rankings laid over it (offset, tiers, weight), the loss
settings, and the loss and its gradient with respect to the scores, computed by autograd in
float64 from independent definitions:

  Bradley-Terry (strict pair):  -logsigmoid(r_chosen - r_rejected - margin)
  Plackett-Luce (strict K-way): sum_j logsumexp(r[order[j:]]) - r[order[j]]
  Davidson-Luce (any tie):      sum over tie groups G of logsumexp_{S subset of remaining}
                                (log delta_|S| + mean r_S) - (log delta_|G| + mean r_G),
                                delta_1 = 1, delta_t = nu for t >= 2; for a tied pair this is
                                Davidson's log(2 cosh(d/2) + nu) - log nu (checked below)
  centring:                     eta * (2 * mean r)^2 per ranking (TRL's (r_c + r_r)^2 for a pair)
  batch loss:                   sum_c w_c (nll_c + centring_c) / sum_c w_c

    python scripts/make_reward_fixtures.py [OUT_DIR]
"""
import itertools, json, math, os, sys
import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "reward")
os.makedirs(OUT, exist_ok=True)
gen = torch.Generator().manual_seed(2024)


def rand(n, scale=1.5):
    """float32-representable scores as float64."""
    return (torch.randn(n, generator=gen) * scale).float().double()


def groups_of(tiers):
    return [[i for i, t in enumerate(tiers) if t == tier] for tier in sorted(set(tiers))]


def bradley_terry(r, tiers, margin):
    (better,), (worse,) = groups_of(tiers)
    return -F.logsigmoid(r[better] - r[worse] - margin)


def plackett_luce(r, tiers):
    order = [g[0] for g in groups_of(tiers)]
    return sum(torch.logsumexp(r[order[j:]], 0) - r[order[j]] for j in range(len(order)))


def davidson_luce(r, tiers, nu):
    total = r.new_zeros(())
    remaining = list(range(len(tiers)))
    log_delta = lambda size: 0.0 if size == 1 else math.log(nu)
    for group in groups_of(tiers):
        subsets = [s for k in range(1, len(remaining) + 1) for s in itertools.combinations(remaining, k)]
        logits = torch.stack([log_delta(len(s)) + r[list(s)].mean() for s in subsets])
        total = total + torch.logsumexp(logits, 0) - (log_delta(len(group)) + r[group].mean())
        remaining = [i for i in remaining if i not in group]
    return total


def ranking_nll(r, tiers, margin, nu):
    if len(set(tiers)) < len(tiers):
        return davidson_luce(r, tiers, nu)
    if len(tiers) == 2:
        return bradley_terry(r, tiers, margin)
    return plackett_luce(r, tiers)


def batch_loss(scores, rankings, settings):
    total_weight = sum(rk["weight"] for rk in rankings)
    loss = scores.new_zeros(())
    for rk in rankings:
        r = scores[rk["offset"]:rk["offset"] + len(rk["tiers"])]
        nll = ranking_nll(r, rk["tiers"], settings["margin"], settings["tieStrength"])
        centring = settings["centeringCoefficient"] * (2 * r.mean()) ** 2
        loss = loss + rk["weight"] * (nll + centring) / total_weight
    return loss


def case(name, tiers_list, settings, weights=None):
    rankings, offset = [], 0
    for i, tiers in enumerate(tiers_list):
        rankings.append({"offset": offset, "tiers": tiers, "weight": (weights or [1.0] * len(tiers_list))[i]})
        offset += len(tiers)
    scores = rand(offset).requires_grad_(True)
    loss = batch_loss(scores, rankings, settings)
    loss.backward()
    return {
        "name": name, "scores": scores.detach().tolist(), "rankings": rankings, "settings": settings,
        "loss": loss.item(), "gradient": scores.grad.tolist(),
    }


def check_davidson_closed_form():
    r = rand(2)
    nu = 0.7
    d = r[0] - r[1]
    closed = torch.log(2 * torch.cosh(d / 2) + nu) - math.log(nu)
    assert abs(davidson_luce(r, [0, 0], nu).item() - closed.item()) < 1e-12
    strict = torch.log(2 * torch.cosh(d / 2) + nu) - d / 2
    assert abs(davidson_luce(r, [0, 1], nu).item() - strict.item()) < 1e-12


# Settings are dyadic (exact in float32), so the Swift tests' Float settings equal them.
plain = {"margin": 0.0, "tieStrength": 1.0, "centeringCoefficient": 0.0}
check_davidson_closed_form()
cases = [
    case("bradley_terry", [[0, 1], [1, 0], [0, 1], [0, 1]], plain),
    case("bradley_terry_margin", [[0, 1], [1, 0], [0, 1]], {**plain, "margin": 0.5}),
    case("plackett_luce", [[0, 1, 2, 3], [2, 0, 3, 1], [1, 2, 0]], plain),
    case("davidson_pair_tie", [[0, 0], [3, 3], [0, 0]], {**plain, "tieStrength": 0.75}),
    case("davidson_luce_ranking", [[0, 1, 1, 2], [0, 0, 1], [2, 2, 0, 2]], {**plain, "tieStrength": 1.25}),
    case("centred_weighted_mix", [[0, 1], [0, 1, 2], [0, 0], [1, 0, 0, 2]],
         {"margin": 0.25, "tieStrength": 0.875, "centeringCoefficient": 0.015625}, weights=[1.0, 0.5, 2.0, 1.5]),
]
with open(os.path.join(OUT, "losses.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print("wrote losses.json with", len(cases), "cases")
