#!/usr/bin/env python3
"""Reference numbers for the Swift `Ratings` module, following FastChat's leaderboard formulas.

Two steps, each writing a committed file under Tests/RatingsTests/Fixtures/:

  battles    draws a battle log (model_a, model_b, winner) from fixed true strengths;
             the log is committed, so this step only reruns when the log is meant to change.
  reference  reads the log and writes ratings_reference.json: online Elo (K=4, base 10,
             scale 400, init 1000), Bradley-Terry maximum likelihood as a weighted logistic
             regression (ties count half, scale 400, base 10, init 1000), bootstrap intervals
             from explicit resample indices (so Swift can replay the same resamples), and
             Krippendorff's alpha on his published reliability example.

Usage: python scripts/ratings_reference.py battles|reference  (packages: scripts/setup-python.sh)
"""
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

FIXTURES = Path(__file__).resolve().parent.parent / "Tests" / "RatingsTests" / "Fixtures"
BATTLES = FIXTURES / "battles.jsonl"
REFERENCE = FIXTURES / "ratings_reference.json"
TIES = ("tie", "tie (bothbad)")
BOOTSTRAP_ROUNDS = 20


def write_battles(count=900, seed=20241122):
    """Battles between six models of known strength; about 15% ties, a few of them 'both bad'."""
    rng = np.random.default_rng(seed)
    strengths = {"alpha": 1150.0, "bravo": 1080.0, "charlie": 1030.0,
                 "delta": 1000.0, "echo": 940.0, "foxtrot": 880.0}
    names = list(strengths)
    lines = []
    for _ in range(count):
        a, b = rng.choice(len(names), size=2, replace=False)
        model_a, model_b = names[a], names[b]
        p_a = 1.0 / (1.0 + 10 ** ((strengths[model_b] - strengths[model_a]) / 400))
        draw = rng.random()
        if draw < 0.12:
            winner = "tie"
        elif draw < 0.15:
            winner = "tie (bothbad)"
        else:
            winner = "model_a" if rng.random() < p_a else "model_b"
        lines.append(json.dumps({"model_a": model_a, "model_b": model_b, "winner": winner}))
    BATTLES.write_text("\n".join(lines) + "\n")


def read_battles():
    rows = [json.loads(line) for line in BATTLES.read_text().splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])


def online_elo(battles, k=4, scale=400, base=10, init=1000):
    """FastChat's compute_elo: one pass in log order, a tie scores one half."""
    rating = defaultdict(lambda: init)
    for model_a, model_b, winner in battles[["model_a", "model_b", "winner"]].itertuples(index=False):
        ra, rb = rating[model_a], rating[model_b]
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        sa = {"model_a": 1.0, "model_b": 0.0}.get(winner, 0.5)
        rating[model_a] += k * (sa - ea)
        rating[model_b] += k * (1 - sa - eb)
    return dict(rating)


def mle_elo(battles, scale=400, base=10, init=1000):
    """FastChat's compute_mle_elo: a win weighs 2 and a tie 1 on each side, no intercept, no penalty."""
    models = sorted(set(battles["model_a"]) | set(battles["model_b"]))
    index = {m: i for i, m in enumerate(models)}
    weight = np.zeros((len(models), len(models)))
    for model_a, model_b, winner in battles[["model_a", "model_b", "winner"]].itertuples(index=False):
        a, b = index[model_a], index[model_b]
        if winner == "model_a":
            weight[a, b] += 2
        elif winner == "model_b":
            weight[b, a] += 2
        else:
            weight[a, b] += 1
            weight[b, a] += 1
    rows, labels, sample_weights = [], [], []
    for a in range(len(models)):
        for b in range(len(models)):
            if a == b:
                continue
            x = np.zeros(len(models))
            x[a], x[b] = math.log(base), -math.log(base)
            rows += [x, x]
            labels += [1.0, 0.0]
            sample_weights += [weight[a, b], weight[b, a]]
    # penalty=None is spelled C=inf since scikit-learn 1.8.
    regression = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6)
    regression.fit(np.array(rows), np.array(labels), sample_weight=np.array(sample_weights))
    return dict(zip(models, (scale * regression.coef_[0] + init).tolist()))


def bootstrap(battles, rounds=BOOTSTRAP_ROUNDS, seed=7):
    """FastChat's get_bootstrap_result with the resample indices kept; 2.5% and 97.5% quantiles."""
    rng = np.random.default_rng(seed)
    resamples = [rng.integers(0, len(battles), size=len(battles)).tolist() for _ in range(rounds)]
    table = pd.DataFrame([mle_elo(battles.iloc[rows]) for rows in resamples])
    return resamples, {m: [float(table[m].quantile(0.025)), float(table[m].quantile(0.975))] for m in table.columns}


def krippendorff_alpha(units, metric):
    """Alpha from the coincidence matrix; `units` lists the values each unit received."""
    values = sorted({v for unit in units for v in unit})
    position = {v: i for i, v in enumerate(values)}
    coincidence = np.zeros((len(values), len(values)))
    for unit in units:
        if len(unit) < 2:
            continue
        for i, c in enumerate(unit):
            for j, k in enumerate(unit):
                if i != j:
                    coincidence[position[c], position[k]] += 1 / (len(unit) - 1)
    marginals = coincidence.sum(axis=1)
    total = marginals.sum()
    if metric == "nominal":
        delta = np.array([[0.0 if c == k else 1.0 for k in values] for c in values])
    else:
        delta = np.array([[(c - k) ** 2 for k in values] for c in values], dtype=float)
    observed = (coincidence * delta).sum() / total
    expected = (np.outer(marginals, marginals) * delta).sum() / (total * (total - 1))
    return 1 - observed / expected


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units.
KRIPPENDORFF_EXAMPLE = [
    [1, 1, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [5, 5, 5], [1, 1], [3],
]


def write_reference():
    battles = read_battles()
    resamples, intervals = bootstrap(battles)
    reference = {
        "elo": online_elo(battles),
        "bradleyTerry": mle_elo(battles),
        "bootstrapResamples": resamples,
        "bootstrapIntervals": intervals,
        "krippendorffExample": KRIPPENDORFF_EXAMPLE,
        "krippendorffNominal": krippendorff_alpha(KRIPPENDORFF_EXAMPLE, "nominal"),
        "krippendorffInterval": krippendorff_alpha(KRIPPENDORFF_EXAMPLE, "interval"),
    }
    REFERENCE.write_text(json.dumps(reference, separators=(",", ":"), sort_keys=True) + "\n")


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "battles":
        write_battles()
    elif step == "reference":
        write_reference()
    else:
        sys.exit("usage: ratings_reference.py battles|reference")
