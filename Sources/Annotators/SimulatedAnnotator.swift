// A simulated annotator: one rater's hidden judge plus Bradley-Terry / Plackett-Luce noise.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// A simulated annotator's answer to "which of these two is better?".
package enum PairwiseChoice: Sendable, Equatable {
    /// The first text.
    case first
    /// The second text.
    case second
    /// Neither: their hidden scores are within the tie margin.
    case tie
}

/// An invalid simulated-annotator setting.
package enum AnnotatorConfigurationError: Error, Equatable, CustomStringConvertible {
    /// Rater column outside the lexicon's columns.
    case raterOutOfRange(Int, available: Int)
    /// Temperature must be positive and finite.
    case invalidTemperature(Double)
    /// Tie margin must be non-negative and finite.
    case invalidTieMargin(Double)

    package var description: String {
        switch self {
        case .raterOutOfRange(let column, let available):
            "rater \(column) does not exist: the lexicon has rater columns 0..<\(available)"
        case .invalidTemperature(let value): "temperature must be a positive number, got \(value)"
        case .invalidTieMargin(let value): "tie margin must be zero or positive, got \(value)"
        }
    }
}

/// Judges like one person: hidden scores from its rater's column, choices noisy in the
/// Bradley-Terry way, P(a ≻ b) = σ((s_a − s_b) / temperature), and rankings of K texts drawn
/// from the matching Plackett-Luce model. All draws come from its own seeded generator.
package struct SimulatedAnnotator: Sendable {
    /// The hidden score this annotator judges by.
    package let judge: HiddenJudge
    /// Noise scale in score units: near zero always picks the higher score, large is a coin flip.
    package let temperature: Double
    /// Texts whose hidden scores differ by less than this are judged a tie (0 disables ties).
    package let tieMargin: Double
    /// When every text's hidden score is below this, the annotator also marks them "both bad".
    package let bothBadBelow: Double?
    private var generator: RandomGenerator

    /// Creates an annotator; `temperature` must be positive and `tieMargin` non-negative.
    package init(
        judge: HiddenJudge, temperature: Double = 1, tieMargin: Double = 0, bothBadBelow: Double? = nil,
        generator: RandomGenerator
    ) throws {
        guard temperature > 0, temperature.isFinite else { throw AnnotatorConfigurationError.invalidTemperature(temperature) }
        guard tieMargin >= 0, tieMargin.isFinite else { throw AnnotatorConfigurationError.invalidTieMargin(tieMargin) }
        self.judge = judge
        self.temperature = temperature
        self.tieMargin = tieMargin
        self.bothBadBelow = bothBadBelow
        self.generator = generator
    }

    /// Which of two texts this annotator prefers.
    package mutating func compare(_ first: String, _ second: String) -> PairwiseChoice {
        let difference = judge.score(first) - judge.score(second)
        if abs(difference) < tieMargin { return .tie }
        let probabilityFirst = 1 / (1 + exp(-difference / temperature))
        return generator.uniformDouble() < probabilityFirst ? .first : .second
    }

    /// A ranking of `texts` as tiers of indices, best tier first: a Plackett-Luce draw with
    /// weights exp(score / temperature), then neighbours within the tie margin merged into one tier.
    package mutating func rank(_ texts: [String]) -> [[Int]] {
        let scores = texts.map(judge.score)
        var remaining = Array(texts.indices)
        var order: [Int] = []
        while !remaining.isEmpty {
            let top = remaining.map { scores[$0] }.max()!
            // Subtracting the largest score keeps exp() finite at small temperatures.
            let weights = remaining.map { exp((scores[$0] - top) / temperature) }
            order.append(remaining.remove(at: generator.categorical(weights: weights)))
        }
        var tiers: [[Int]] = []
        for index in order {
            if let last = tiers.last?.last, abs(scores[last] - scores[index]) < tieMargin {
                tiers[tiers.count - 1].append(index)
            } else {
                tiers.append([index])
            }
        }
        return tiers
    }

    /// Whether this annotator would call every one of `texts` bad.
    package func callsAllBad(_ texts: [String]) -> Bool {
        guard let bothBadBelow else { return false }
        return texts.allSatisfy { judge.score($0) < bothBadBelow }
    }

    /// A panel of `count` annotators: annotator i uses rater column i mod the lexicon's raters,
    /// and each draws from its own child of `seed`'s generator, so adding annotators never
    /// changes the draws of the earlier ones.
    package static func panel(
        lexicon: RaterLexicon, count: Int, temperature: Double = 1, tieMargin: Double = 0,
        bothBadBelow: Double? = nil, seed: UInt64
    ) throws -> [SimulatedAnnotator] {
        var root = RandomGenerator(seed: seed)
        return try (0..<count).map { i in
            let judge = try HiddenJudge(lexicon: lexicon, rater: .individual(i % lexicon.raterCount))
            return try SimulatedAnnotator(
                judge: judge, temperature: temperature, tieMargin: tieMargin, bothBadBelow: bothBadBelow,
                generator: root.child()
            )
        }
    }
}
