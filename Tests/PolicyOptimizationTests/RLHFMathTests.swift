// The PPO arithmetic against scripts/make_ppo_fixtures.py (TRL's formulas in float64): KL
// estimators, reward shaping, whitening, GAE, the adaptive controller, both clipped losses with
// the statistics logged beside them, and A2C's plain losses.
import Foundation
import PolicyOptimization
import Tensors
import Testing
import TestSupport

@Suite struct RLHFMathTests {
    let fixture: Fixture
    let mask: Matrix, logp: Matrix, ref: Matrix, values: Matrix
    let tight = Tolerance(relative: 1e-9, absolute: 1e-9)

    init() throws {
        let fixture = try Fixture("Tests/Fixtures/ppo/ppo_math.json")
        self.fixture = fixture
        let (rows, columns) = (try fixture.int("rows"), try fixture.int("columns"))
        let matrix = { (key: String) in Matrix(rows: rows, columns: columns, values: try fixture.doubles(key)) }
        (mask, logp, ref, values) = (try matrix("mask"), try matrix("logp"), try matrix("ref"), try matrix("values"))
    }

    @Test func klEstimatorsAndRewardShaping() throws {
        let k1 = RLHFMath.kl(logProbabilities: logp, referenceLogProbabilities: ref, mask: mask, estimator: .k1)
        let k3 = RLHFMath.kl(logProbabilities: logp, referenceLogProbabilities: ref, mask: mask, estimator: .k3)
        expectClose(k1.values, try fixture.doubles("kl_k1"), tight, "k1")
        expectClose(k3.values, try fixture.doubles("kl_k3"), tight, "k3")
        #expect(k3.values.allSatisfy { $0 >= 0 })
        let (rewards, nonScore) = RLHFMath.rewards(scores: try fixture.doubles("scores"), kl: k1, coefficient: try fixture.double("beta"), mask: mask)
        expectClose(nonScore.values, try fixture.doubles("non_score"), tight, "non-score reward")
        expectClose(rewards.values, try fixture.doubles("rewards"), tight, "rewards")
        let whitened = RLHFMath.whiten(rewards, mask: mask, shiftMean: false)
        expectClose(whitened.values, try fixture.doubles("whitened_rewards"), Tolerance(relative: 1e-7, absolute: 1e-7), "whitened rewards")
    }

    @Test func generalisedAdvantagesAndReturns() throws {
        let rewards = Matrix(rows: mask.rows, columns: mask.columns, values: try fixture.doubles("rewards"))
        let (advantages, returns) = RLHFMath.advantages(
            rewards: rewards, values: values, mask: mask, gamma: try fixture.double("gamma"), lambda: try fixture.double("lambda"))
        expectClose(advantages.values, try fixture.doubles("advantages"), Tolerance(relative: 1e-7, absolute: 1e-7), "whitened advantages")
        expectClose(returns.values, try fixture.doubles("returns"), tight, "returns")
    }

    @Test func adaptiveControllerFollowsLmHumanPreferences() throws {
        var controller = KLController(
            coefficient: try fixture.double("controller", "initial"), target: try fixture.double("controller", "target"),
            horizon: try fixture.double("controller", "horizon"))
        var coefficients: [Double] = []
        for kl in try fixture.doubles("controller", "kls") {
            controller.update(kl: kl, samples: try fixture.int("controller", "samples"))
            coefficients.append(controller.coefficient)
        }
        expectClose(coefficients, try fixture.doubles("controller", "coefficients"), tight, "β after each update")
        var fixed = KLController(coefficient: 0.1)
        fixed.update(kl: 100, samples: 1000)
        #expect(fixed.coefficient == 0.1)
    }

    /// The fixture's new log-probabilities and values, tracked on a tape, and its arrays as tensors of their shape.
    func lossInputs() throws -> (tape: Tape, logp: Tensor, values: Tensor, tensor: ([Double]) throws -> Tensor) {
        let shape: Shape = [mask.rows, mask.columns]
        let tensor = { (values: [Double]) in try Tensor(shape: shape, values: values.map(Float.init)) }
        let tape = Tape()
        let newLogp = try tensor(fixture.doubles("losses", "new_logp")), newValues = try tensor(fixture.doubles("losses", "new_values"))
        newLogp.track(on: tape)
        newValues.track(on: tape)
        return (tape, newLogp, newValues, tensor)
    }

    @Test func clippedLossesAndTheirGradients() throws {
        let (tape, newLogp, newValues, tensor) = try lossInputs()
        let maskTensor = try tensor(mask.values)
        let (policyLoss, statistics) = try PPOLosses.clippedPolicyLoss(
            logProbabilities: newLogp, oldLogProbabilities: tensor(logp.values), advantages: tensor(fixture.doubles("advantages")),
            mask: maskTensor, clipRange: Float(fixture.double("losses", "clip")))
        let (valueLoss, valueClipFraction) = try PPOLosses.clippedValueLoss(
            values: newValues, oldValues: tensor(values.values), returns: tensor(fixture.doubles("returns")),
            mask: maskTensor, clipRange: Float(fixture.double("losses", "value_clip")))
        let loose = Tolerance(relative: 1e-6, absolute: 1e-6)
        expectClose([policyLoss.item], [try fixture.double("losses", "policy_loss")], loose, "policy loss")
        expectClose([valueLoss.item], [try fixture.double("losses", "value_loss")], loose, "value loss")
        try tape.backward(from: policyLoss + valueLoss)
        expectClose(newLogp.gradient ?? [], try fixture.doubles("losses", "policy_gradient"), loose, "policy-loss gradient")
        expectClose(newValues.gradient ?? [], try fixture.doubles("losses", "value_gradient"), loose, "value-loss gradient")
        expectClose(
            [statistics.clipFraction, statistics.approximateKL, statistics.ratioMean, statistics.ratioVariance, valueClipFraction],
            try ["clip_fraction", "approximate_kl", "ratio_mean", "ratio_variance", "value_clip_fraction"].map { try fixture.double("losses", $0) },
            loose, "pg_clipfrac, approxkl, ratio mean and variance, vf_clipfrac")
    }

    @Test func a2cLossesAndTheirGradients() throws {
        let (tape, newLogp, newValues, tensor) = try lossInputs()
        let maskTensor = try tensor(mask.values)
        let policyLoss = try PPOLosses.policyGradientLoss(logProbabilities: newLogp, advantages: tensor(fixture.doubles("advantages")), mask: maskTensor)
        let valueLoss = try PPOLosses.valueLoss(values: newValues, returns: tensor(fixture.doubles("returns")), mask: maskTensor)
        let loose = Tolerance(relative: 1e-6, absolute: 1e-6)
        expectClose([policyLoss.item, valueLoss.item], [try fixture.double("a2c", "policy_loss"), try fixture.double("a2c", "value_loss")], loose, "A2C losses")
        try tape.backward(from: policyLoss + valueLoss)
        expectClose(newLogp.gradient ?? [], try fixture.doubles("a2c", "policy_gradient"), loose, "A2C policy-loss gradient")
        expectClose(newValues.gradient ?? [], try fixture.doubles("a2c", "value_gradient"), loose, "A2C value-loss gradient")
    }
}
