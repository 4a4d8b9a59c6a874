// One human (or simulated) judgment as the reward model trains on it: responses to one prompt
// in tiers, best first, where responses sharing a tier are tied. A pair is a ranking of two.
import TrainingRuns

/// A K-way ranking of responses to one prompt.
public struct Comparison: Codable, Sendable, Equatable {
    /// The prompt the responses answer (may be empty, e.g. for free-standing review snippets).
    public var prompt: String
    /// The responses, in any order.
    public var responses: [String]
    /// Each response's tier: 0 is best; equal tiers are ties.
    public var tiers: [Int]
    /// Who judged, for per-annotator weights and reports.
    public var annotator: String?
    /// The comparison's weight in the loss (1 unless an annotator weight scales it).
    public var weight: Float
    /// What the held-out split keeps together: the prompt unless set (e.g. a movie, for
    /// snippets that share no prompt but must not straddle the split).
    public var group: String?

    public init(prompt: String, responses: [String], tiers: [Int], annotator: String? = nil, weight: Float = 1, group: String? = nil) {
        self.prompt = prompt
        self.responses = responses
        self.tiers = tiers
        self.annotator = annotator
        self.weight = weight
        self.group = group
    }

    /// A strict pair: `chosen` preferred to `rejected`.
    public init(prompt: String, chosen: String, rejected: String, annotator: String? = nil, weight: Float = 1, group: String? = nil) {
        self.init(prompt: prompt, responses: [chosen, rejected], tiers: [0, 1], annotator: annotator, weight: weight, group: group)
    }

    /// The key the held-out split hashes.
    public var splitKey: String { group ?? prompt }

    /// Whether two responses share a tier.
    public var hasTies: Bool { Set(tiers).count < tiers.count }

    /// Every (better, worse) index pair the ranking implies; tied responses give none.
    public var orderedPairs: [(better: Int, worse: Int)] {
        var pairs: [(better: Int, worse: Int)] = []
        for i in tiers.indices {
            for j in tiers.indices where tiers[i] < tiers[j] { pairs.append((i, j)) }
        }
        return pairs
    }

    /// Every tied index pair (i < j).
    public var tiedPairs: [(Int, Int)] {
        var pairs: [(Int, Int)] = []
        for i in tiers.indices {
            for j in tiers.indices where i < j && tiers[i] == tiers[j] { pairs.append((i, j)) }
        }
        return pairs
    }

    /// The same responses ranked by `score` instead (a hidden judge's, say): higher is better,
    /// equal scores tie.
    public func ranked(by score: (String) -> Double, annotator: String? = nil) -> Comparison {
        let scores = responses.map(score)
        let distinct = Array(Set(scores)).sorted(by: >)
        let rank = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        var ranked = self
        ranked.tiers = scores.map { rank[$0] ?? 0 }
        ranked.annotator = annotator
        return ranked
    }

    /// Throws when the comparison cannot be trained on: fewer than two responses (or more than
    /// the likelihood enumerates), a tier per response missing, a negative tier, or a
    /// non-finite or negative weight. A ranking that ties everything is kept: it says the
    /// responses are equally good.
    public func validate(index: Int) throws {
        func fail(_ field: String, _ reason: String) -> RewardDataError {
            RewardDataError.invalidComparison(index: index, field: field, reason: reason)
        }
        guard responses.count >= 2 else { throw fail("responses", "has \(responses.count); a comparison needs at least 2") }
        guard tiers.count == responses.count else { throw fail("tiers", "has \(tiers.count) entries for \(responses.count) responses") }
        guard tiers.allSatisfy({ $0 >= 0 }) else { throw fail("tiers", "must be 0 or more") }
        guard weight.isFinite, weight >= 0 else { throw fail("weight", "must be a finite value ≥ 0, got \(weight)") }
        guard responses.count <= RankingLikelihood.maximumResponses else {
            throw fail("responses", "has \(responses.count); at most \(RankingLikelihood.maximumResponses) are supported")
        }
    }
}

extension HeldOutSplit {
    /// The comparisons whose split key (prompt or group) is not held out, and those whose key is.
    public func split(_ comparisons: [Comparison]) -> (training: [Comparison], heldOut: [Comparison]) {
        split(comparisons, key: \.splitKey)
    }
}
