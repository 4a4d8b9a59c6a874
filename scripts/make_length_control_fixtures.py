"""Reference fits of AlpacaEval 2.0's length-controlled win rate (Tests/Fixtures/evaluation/
length_control.json), for Sources/Evaluation/LengthControlledWinRate.swift.

The model is alpaca_eval/metrics/glm_winrate.py's, without the instruction-difficulty term:
    logit P(policy wins) = theta + phi * tanh(delta / std(delta)),  delta = policy - baseline length,
std with ddof 1 (pandas), soft labels (win 1, tie 0.5, loss 0) under the log loss, no intercept,
and an L2 penalty (lam / 2) * (theta^2 + phi^2) in place of their cross-validated L1. The
length-controlled win rate is the prediction at delta = 0, sigmoid(theta).

Each case is minimised in float64 by scipy's trust-region Newton (exact gradient and Hessian),
polished by plain Newton steps to a gradient below 1e-11, and, where lam > 0, checked against AlpacaEval's own route: sklearn's
LogisticRegression on the rows duplicated with labels 1 / 0 weighted by p / 1 - p, C = 1 / lam.

    python scripts/make_length_control_fixtures.py
"""
import json, os, warnings
import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "evaluation")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(11)


def features(policy, baseline):
    delta = np.asarray(policy, float) - np.asarray(baseline, float)
    std = delta.std(ddof=1) if len(delta) > 1 else 0.0
    t = np.tanh(delta / std) if std > 0 else np.zeros_like(delta)
    return np.stack([np.ones_like(t), t], axis=1), std


def fit(y, X, lam):
    y = np.asarray(y, float)

    def loss(b):
        eta = X @ b
        return np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * lam * b @ b

    def grad(b):
        p = 1 / (1 + np.exp(-(X @ b)))
        return X.T @ (p - y) + lam * b

    def hess(b):
        p = 1 / (1 + np.exp(-(X @ b)))
        return (X * (p * (1 - p))[:, None]).T @ X + lam * np.eye(X.shape[1])

    b = minimize(loss, np.zeros(X.shape[1]), jac=grad, hess=hess, method="trust-exact", options={"gtol": 1e-9, "maxiter": 500}).x
    for _ in range(3):  # the trust region stops once rounding hides its progress; polish by Newton steps
        b = b - np.linalg.solve(hess(b), grad(b))
    assert np.max(np.abs(grad(b))) < 1e-11, (b, grad(b))
    return b


def sklearn_fit(y, X, lam):
    y = np.asarray(y, float)
    Xd = np.concatenate([X, X])
    labels = np.concatenate([np.ones(len(y)), np.zeros(len(y))])
    weights = np.concatenate([y, 1 - y])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=1 / lam, fit_intercept=False, solver="newton-cholesky", tol=1e-14, max_iter=1000)
        model.fit(Xd, labels, sample_weight=weights)
    return model.coef_[0]


def case(name, outcomes, policy, baseline, lam):
    X, std = features(policy, baseline)
    # A constant delta leaves phi unidentified (without a penalty): it is reported as 0.
    b = fit(outcomes, X, lam) if std > 0 else np.append(fit(outcomes, X[:, :1], lam), 0.0)
    if lam > 0:
        reference = sklearn_fit(outcomes, X, lam)
        assert np.allclose(b, reference, atol=1e-7, rtol=0), (name, b, reference)
    return {"name": name, "penalty": lam, "outcomes": [float(v) for v in outcomes],
            "policyLengths": [float(v) for v in policy], "baselineLengths": [float(v) for v in baseline],
            "modelCoefficient": float(b[0]), "lengthCoefficient": float(b[1]), "deviation": float(std),
            "winRate": float(1 / (1 + np.exp(-b[0])))}


def simulated(n, theta, phi, tie_share):
    baseline = rng.integers(20, 200, n).astype(float)
    policy = np.maximum(1, baseline + rng.normal(-15, 40, n)).round()
    X, _ = features(policy, baseline)
    p = 1 / (1 + np.exp(-(X @ np.array([theta, phi]))))
    outcomes = (rng.random(n) < p).astype(float)
    outcomes[rng.random(n) < tie_share] = 0.5
    return outcomes, policy, baseline


cases = [
    case("simulated 300, rewards length", *simulated(300, 0.4, 1.5, 0.1), lam=0.01),
    case("simulated 64, shorter policy", *simulated(64, -0.3, 0.8, 0.2), lam=0.01),
    case("simulated 120, unpenalised", *simulated(120, 0.7, -0.5, 0.05), lam=0.0),
    case("seven prompts with ties", [1, 0.5, 0, 1, 1, 0.5, 0], [30, 12, 5, 44, 20, 17, 9], [25, 12, 14, 20, 31, 17, 10], lam=0.01),
    # Every longer answer wins: separable, finite only through the penalty.
    case("separable by length", [1, 1, 0, 0, 1, 0], [50, 60, 10, 20, 45, 5], [40, 30, 30, 40, 20, 25], lam=0.01),
    # Equal lengths: the length term is 0 and sigmoid(theta) is the raw win rate.
    case("equal lengths", [1, 1, 0.5, 0, 1], [10] * 5, [10] * 5, lam=0.0),
]
with open(os.path.join(OUT, "length_control.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1)
print("wrote", len(cases), "cases to", OUT)
