// Central finite differences in Double for every ranking likelihood's hand-written gradient,
// and for the tensor op's backward (through the shared GradientCheck harness).
import Foundation
import Testing
import RewardModeling
import Tensors
import TestSupport

@Suite struct LossGradientCheckTests {
    static let tierCases: [[Int]] = [[0, 1], [1, 0], [0, 1, 2, 3], [3, 1, 0, 2, 4], [0, 0], [0, 1, 1], [1, 0, 1, 2], [0, 0, 0]]

    @Test(arguments: tierCases) func likelihoodGradientMatchesFiniteDifferences(_ tiers: [Int]) {
        var values = TestValues(seed: UInt64(tiers.count * 31 + tiers.reduce(0, +)))
        let scores = values.next(tiers.count, scale: 2)
        let analytic = RankingLikelihood.negativeLogLikelihood(scores: scores, tiers: tiers, margin: 0.3, tieStrength: 0.8).gradient
        let numeric = finiteDifferenceGradient(at: scores, upstream: [1]) {
            [RankingLikelihood.negativeLogLikelihood(scores: $0, tiers: tiers, margin: 0.3, tieStrength: 0.8).value]
        }
        expectClose(analytic, numeric, Tolerance(relative: 1e-6, absolute: 1e-8), "tiers \(tiers)")
        // Shifting every reward changes no likelihood: the gradient sums to zero.
        #expect(abs(analytic.reduce(0, +)) < 1e-9)
    }

    /// The batch op (weights, centring, mixed shapes) through the tape, against the harness's
    /// finite differences of the Double reference.
    @Test func tensorOpBackward() {
        let rankings = [
            ScoredRanking(offset: 0, tiers: [0, 1], weight: 1),
            ScoredRanking(offset: 2, tiers: [2, 0, 1], weight: 0.5),
            ScoredRanking(offset: 5, tiers: [0, 0, 1], weight: 2),
        ]
        let settings = PreferenceLossSettings(margin: 0.2, tieStrength: 1.2, centeringCoefficient: 0.05)
        var values = TestValues(seed: 5)
        let scores = values.next(8, scale: 1.5)
        GradientCheck(
            inputs: [scores],
            reference: { [PreferenceLoss.evaluate(scores: $0[0], rankings: rankings, settings: settings).value] },
            fused: { x in [(try? Tensor(shape: [8], values: x[0]).preferenceLoss(rankings, settings: settings).item) ?? .nan] },
            fusedBackward: { x, upstream in
                let tape = Tape()
                let input = try! Tensor(shape: [8], values: x[0])
                input.track(on: tape)
                guard let loss = try? input.preferenceLoss(rankings, settings: settings),
                      (try? tape.backward(from: loss, gradient: upstream)) != nil else { return [] }
                return [input.gradient ?? []]
            }
        ).run("preferenceLoss")
    }

    @Test func zeroTotalWeightGivesZeroLoss() {
        let (value, gradient) = PreferenceLoss.evaluate(
            scores: [1, 2], rankings: [ScoredRanking(offset: 0, tiers: [0, 1], weight: 0)], settings: .init())
        #expect(value == 0)
        #expect(gradient == [0, 0])
    }
}
