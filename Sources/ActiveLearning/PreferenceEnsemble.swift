// Bradley-Terry linear heads on fixed features, each trained on a bootstrap resample of the
// comparisons: where the heads disagree, or their mean probability sits near ½, a label is worth most.

import Foundation
import Randomness

/// One preference between two texts' features.
package struct PreferencePair: Sendable {
    /// The preferred text's features.
    package var better: SparseFeatures
    /// The other text's features.
    package var worse: SparseFeatures

    /// A preference of `better` over `worse`.
    package init(better: SparseFeatures, worse: SparseFeatures) {
        self.better = better
        self.worse = worse
    }
}

/// How an ensemble's heads are trained.
package struct EnsembleSettings: Codable, Sendable, Equatable {
    /// How many heads; 1 is a single model trained on all comparisons, more are bootstrap members.
    package var members: Int
    /// Passes of stochastic gradient descent over the (resampled) pairs.
    package var epochs: Int
    /// The SGD step size.
    package var learningRate: Double
    /// The share by which weights shrink toward 0 after each epoch (L2 regularisation).
    package var weightDecay: Double
    /// The standard deviation of each head's random starting weights (a randomized prior). At 0
    /// every head starts at 0, so a word no label has shown keeps weight 0 in all of them and
    /// the heads agree about it: their spread is blind to exactly what labels have not yet taught.
    package var priorScale: Double

    /// Settings; the defaults suit a few hundred to a few thousand pairs of short texts.
    package init(members: Int = 5, epochs: Int = 20, learningRate: Double = 0.05, weightDecay: Double = 0.01, priorScale: Double = 0) {
        self.members = members
        self.epochs = epochs
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.priorScale = priorScale
    }
}

/// Which number summarises a pair's uncertainty, in 0...1 (1 = most uncertain).
package enum UncertaintyMeasure: String, Codable, Sendable, CaseIterable {
    /// `1 − |2p − 1|` for the heads' mean Bradley-Terry probability p: near ½ is uncertain.
    case boundary
    /// Twice the standard deviation of the heads' probabilities (capped at 1): where they disagree.
    case spread

    /// The uncertainty of one pair from each model's probability that its first text wins.
    package func value(probabilities: [Double]) -> Double {
        guard !probabilities.isEmpty else { return 1 }
        let mean = probabilities.reduce(0, +) / Double(probabilities.count)
        switch self {
        case .boundary:
            return 1 - abs(2 * mean - 1)
        case .spread:
            let variance = probabilities.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(probabilities.count)
            return min(1, 2 * variance.squareRoot())
        }
    }

    /// The uncertainty of a task's top pair, its two completions with the highest mean reward,
    /// from each model's rewards of every completion (`rewards[model][completion]`); nil when
    /// the task has fewer than two completions.
    package func topPair(rewards: [[Double]]) -> Double? {
        guard let count = rewards.first?.count, count >= 2, rewards.allSatisfy({ $0.count == count }) else { return nil }
        let means = (0..<count).map { completion in rewards.reduce(0) { $0 + $1[completion] } / Double(rewards.count) }
        let ranked = means.indices.sorted { means[$0] > means[$1] }
        return value(probabilities: rewards.map { sigmoid($0[ranked[0]] - $0[ranked[1]]) })
    }
}

/// Linear reward heads over the same features.
package struct PreferenceEnsemble: PreferenceScorer {
    /// Each head's weights.
    package let heads: [[Double]]

    /// Trains `settings.members` heads on `pairs`; deterministic given `seed`.
    package static func train(on pairs: [PreferencePair], dimensions: Int, settings: EnsembleSettings, seed: UInt64) -> PreferenceEnsemble {
        let differences = pairs.map { $0.better.subtracting($0.worse) }
        var root = RandomGenerator(seed: seed)
        let heads = (0..<max(1, settings.members)).map { _ -> [Double] in
            var generator = root.child()
            let sample = settings.members <= 1 || differences.isEmpty
                ? differences : differences.indices.map { _ in differences[generator.integer(in: 0..<differences.count)] }
            return trainHead(on: sample, dimensions: dimensions, settings: settings, generator: &generator)
        }
        return PreferenceEnsemble(heads: heads)
    }

    /// Minimises the Bradley-Terry loss −log σ(w·(x_better − x_worse)) by SGD in shuffled order.
    private static func trainHead(
        on differences: [SparseFeatures], dimensions: Int, settings: EnsembleSettings, generator: inout RandomGenerator
    ) -> [Double] {
        var weights = settings.priorScale > 0
            ? (0..<dimensions).map { _ in settings.priorScale * generator.normal() } : [Double](repeating: 0, count: dimensions)
        for _ in 0..<settings.epochs {
            for index in generator.permutation(differences.count) {
                let difference = differences[index]
                let step = settings.learningRate * (1 - sigmoid(difference.dot(weights)))
                for (bucket, value) in zip(difference.indices, difference.values) { weights[bucket] += step * value }
            }
            let shrink = 1 - settings.weightDecay
            for bucket in weights.indices { weights[bucket] *= shrink }
        }
        return weights
    }

    /// Each head's reward for the text.
    package func scores(_ features: SparseFeatures) -> [Double] {
        heads.map(features.dot)
    }

    /// The heads' mean reward, which ranks texts.
    package func meanScore(_ features: SparseFeatures) -> Double {
        scores(features).reduce(0, +) / Double(heads.count)
    }

    /// How uncertain the heads are whether `a` beats `b`.
    package func uncertainty(_ a: SparseFeatures, _ b: SparseFeatures, measure: UncertaintyMeasure) -> Double {
        measure.value(probabilities: zip(scores(a), scores(b)).map { sigmoid($0 - $1) })
    }

    /// The uncertainty of each task's top pair, as the feedback store's `setTaskUncertainties`
    /// takes it. Tasks with fewer than two completions are left out.
    package func taskUncertainties(_ tasks: [Int64: [SparseFeatures]], measure: UncertaintyMeasure) -> [Int64: Double] {
        tasks.compactMapValues { completions in
            let rewards = completions.map(scores)
            return measure.topPair(rewards: heads.indices.map { head in rewards.map { $0[head] } })
        }
    }
}

func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
