// Held-out metrics on hand-made rewards: accuracy with ties, margins, calibration bins, and
// the ROC AUC against values worked out by hand.
import Foundation
import Testing
import RewardModeling

@Suite struct EvaluationTests {
    @Test func accuracyAndMarginsOverImpliedPairs() {
        // Pair 1: chosen 2.0 vs rejected 0.5 (right, margin 1.5); pair 2: 0.0 vs 1.0 (wrong, −1);
        // ranking of three (tiers 0, 1, 2) with rewards 3, 1, 2: pairs (3>1 ✓ 2), (3>2 ✓ 1), (1>2 ✗ −1);
        // a tie with rewards 0.2 and −0.2 (gap 0.4).
        let scores = [2.0, 0.5, 0.0, 1.0, 3, 1, 2, 0.2, -0.2]
        let rankings = [
            ScoredRanking(offset: 0, tiers: [0, 1]), ScoredRanking(offset: 2, tiers: [0, 1]),
            ScoredRanking(offset: 4, tiers: [0, 1, 2]), ScoredRanking(offset: 7, tiers: [0, 0]),
        ]
        let evaluation = PreferenceEvaluation(scores: scores, rankings: rankings, settings: .init())
        #expect(evaluation.comparisons == 4)
        #expect(evaluation.pairs == 5)
        #expect(evaluation.tiedPairs == 1)
        #expect(abs(evaluation.accuracy - 3.0 / 5) < 1e-12)
        #expect(abs(evaluation.meanMargin - (1.5 - 1 + 2 + 1 - 1) / 5) < 1e-12)
        #expect(evaluation.medianMargin == 1)
        #expect(abs(evaluation.meanTiedGap - 0.4) < 1e-12)
        #expect(evaluation.calibration.count == 10)
        #expect(evaluation.calibration.reduce(0) { $0 + $1.count } == 5)
    }

    @Test func calibrationBinsHoldPredictedAndObservedRates() {
        // σ(0.1) ≈ 0.525 falls in the first bin, σ(3) ≈ 0.953 in the last; the margin −3 is a
        // confident mistake (also the last bin, observed wrong).
        let scores = [0.1, 0, 3, 0, -3, 0]
        let rankings = [ScoredRanking(offset: 0, tiers: [0, 1]), ScoredRanking(offset: 2, tiers: [0, 1]), ScoredRanking(offset: 4, tiers: [0, 1])]
        let evaluation = PreferenceEvaluation(scores: scores, rankings: rankings, settings: .init())
        let first = evaluation.calibration[0], last = evaluation.calibration[9]
        #expect(first.count == 1 && first.observed == 1)
        #expect(abs(first.predicted - 1 / (1 + exp(-0.1))) < 1e-12)
        #expect(last.count == 2 && last.observed == 0.5)
        let expectedError = (abs(1 - first.predicted) + 2 * abs(0.5 - last.predicted)) / 3
        #expect(abs(evaluation.expectedCalibrationError - expectedError) < 1e-12)
    }

    @Test func areaUnderTheCurve() throws {
        #expect(ReceiverOperatingCharacteristic.area(scores: [0.9, 0.8, 0.1, 0.2], labels: [true, true, false, false]) == 1)
        #expect(ReceiverOperatingCharacteristic.area(scores: [0.1, 0.2, 0.9, 0.8], labels: [true, true, false, false]) == 0)
        #expect(ReceiverOperatingCharacteristic.area(scores: [1, 1, 1, 1], labels: [true, false, true, false]) == 0.5)
        // Positives 3, 1; negatives 2, 1: pairs (3>2 ✓), (3>1 ✓), (1<2 ✗), (1=1 ½) → 2.5 / 4.
        #expect(ReceiverOperatingCharacteristic.area(scores: [3, 1, 2, 1], labels: [true, true, false, false]) == 0.625)
        #expect(ReceiverOperatingCharacteristic.area(scores: [1, 2], labels: [true, true]) == nil)
    }
}
