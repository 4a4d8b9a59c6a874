// Judging a reward model: on held-out comparisons, how often it orders a pair as the judge
// did, by what margin, and whether its Bradley-Terry probabilities are calibrated; on labelled
// texts, the ROC AUC of its rewards.
import Foundation

/// Held-out pairwise accuracy, margin statistics and calibration of a reward model.
public struct PreferenceEvaluation: Codable, Sendable, Equatable {
    /// One calibration bin: pairs whose predicted probability (that the higher-reward response is
    /// the preferred one, σ(raw reward difference)) fell in [lower, upper).
    public struct CalibrationBin: Codable, Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Mean predicted probability in the bin.
        public var predicted: Double
        /// Fraction of the bin's pairs whose higher-reward response was in fact preferred.
        public var observed: Double
    }

    /// Comparisons evaluated.
    public var comparisons: Int
    /// Strict (better, worse) pairs the comparisons imply.
    public var pairs: Int
    /// Tied pairs (left out of accuracy and calibration).
    public var tiedPairs: Int
    /// Fraction of strict pairs ordered as judged (an exact reward tie counts half).
    public var accuracy: Double
    /// Mean preference loss per comparison (the training objective, unweighted).
    public var loss: Double
    /// Mean, standard deviation and median of r_better − r_worse in raw reward units.
    public var meanMargin: Double
    public var marginStandardDeviation: Double
    public var medianMargin: Double
    /// Mean |r₁ − r₂| over tied pairs (0 without ties): how close the model keeps ties.
    public var meanTiedGap: Double
    /// Ten bins over [0.5, 1].
    public var calibration: [CalibrationBin]
    /// Expected calibration error: Σ_bins (count / pairs)·|observed − predicted|.
    public var expectedCalibrationError: Double

    /// The evaluation of raw rewards `scores`, laid out as `rankings` describe (comparison c's
    /// responses at rankings[c].offset...), under the training loss `settings`.
    public init(scores: [Double], rankings: [ScoredRanking], settings: PreferenceLossSettings) {
        var margins: [Double] = [], tiedGaps: [Double] = [], correct = 0.0, loss = 0.0
        for ranking in rankings {
            let own = Array(scores[ranking.offset..<(ranking.offset + ranking.tiers.count)])
            loss += PreferenceLoss.evaluate(scores: own, rankings: [ScoredRanking(offset: 0, tiers: ranking.tiers)], settings: settings).value
            let tiers = ranking.tiers
            for i in tiers.indices {
                for j in tiers.indices where i < j {
                    if tiers[i] == tiers[j] { tiedGaps.append(abs(own[i] - own[j])); continue }
                    let margin = tiers[i] < tiers[j] ? own[i] - own[j] : own[j] - own[i]
                    margins.append(margin)
                    correct += margin > 0 ? 1 : margin == 0 ? 0.5 : 0
                }
            }
        }
        comparisons = rankings.count
        pairs = margins.count
        tiedPairs = tiedGaps.count
        accuracy = margins.isEmpty ? 0 : correct / Double(margins.count)
        self.loss = rankings.isEmpty ? 0 : loss / Double(rankings.count)
        let mean = margins.isEmpty ? 0 : margins.reduce(0, +) / Double(margins.count)
        meanMargin = mean
        marginStandardDeviation = margins.isEmpty ? 0 : (margins.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(margins.count)).squareRoot()
        medianMargin = Self.median(margins)
        meanTiedGap = tiedGaps.isEmpty ? 0 : tiedGaps.reduce(0, +) / Double(tiedGaps.count)
        calibration = Self.bins(margins)
        expectedCalibrationError = calibration.reduce(0) { $0 + Double($1.count) / Double(max(margins.count, 1)) * abs($1.observed - $1.predicted) }
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Each pair oriented so its prediction is ≥ ½: p = σ(|margin|), right when margin > 0.
    static func bins(_ margins: [Double], count: Int = 10) -> [CalibrationBin] {
        var totals = [(count: Int, predicted: Double, observed: Double)](repeating: (0, 0, 0), count: count)
        for margin in margins {
            let p = 1 / (1 + exp(-abs(margin)))
            let bin = min(count - 1, Int((p - 0.5) * 2 * Double(count)))
            totals[bin].count += 1
            totals[bin].predicted += p
            totals[bin].observed += margin > 0 ? 1 : margin == 0 ? 0.5 : 0
        }
        return totals.enumerated().map { index, total in
            CalibrationBin(
                lower: 0.5 + Double(index) * 0.5 / Double(count), upper: 0.5 + Double(index + 1) * 0.5 / Double(count),
                count: total.count,
                predicted: total.count == 0 ? 0 : total.predicted / Double(total.count),
                observed: total.count == 0 ? 0 : total.observed / Double(total.count))
        }
    }
}

/// Area under the ROC curve of scores for binary labels: the probability that a random
/// positive outscores a random negative, ties counting half (the Mann-Whitney statistic).
public enum ReceiverOperatingCharacteristic {
    /// nil when either class is empty.
    public static func area(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "one label per score")
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2 + 1  // ties share the mean of their ranks
            for k in start...end where labels[order[k]] { rankSum += averageRank }
            start = end + 1
        }
        let p = Double(positives), n = Double(negatives)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }
}
