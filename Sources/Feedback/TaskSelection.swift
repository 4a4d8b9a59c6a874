// How the labeling queue weighs a task's worth: model uncertainty, disagreement so far, random picks.

import Randomness

/// The policy `FeedbackStore.nextTask(for:)` follows, stored in the database so every server
/// sharing it hands out tasks the same way.
///
/// A task's worth is `uncertaintyWeight · uncertainty + disagreementWeight · disagreement`,
/// divided by one plus its judgments so far (each further label on the same task tells less).
/// The most valuable task the annotator has not judged comes first; ties go to the task with
/// fewer judgments, then the older one. A `randomShare` of requests instead take a task drawn
/// uniformly from those the annotator has not judged, so the labelled set still contains an
/// unbiased sample of the pool (the basis for any estimate over it).
package struct TaskSelection: Codable, Sendable, Equatable {
    /// How much the reward model's uncertainty (0...1 per task, written by `setTaskUncertainties`) counts.
    package var uncertaintyWeight: Double
    /// How much annotators' disagreement on the task so far (0...1) counts.
    package var disagreementWeight: Double
    /// The share of requests (0...1) answered with a uniformly random task.
    package var randomShare: Double
    /// Seeds the random picks, which also depend on the annotator and the judgments so far.
    package var seed: UInt64

    /// A policy; the defaults weigh uncertainty and disagreement equally with a fifth random.
    package init(uncertaintyWeight: Double = 1, disagreementWeight: Double = 1, randomShare: Double = 0.2, seed: UInt64 = 0) {
        self.uncertaintyWeight = uncertaintyWeight
        self.disagreementWeight = disagreementWeight
        self.randomShare = randomShare
        self.seed = seed
    }

    /// Fewest judgments first, oldest first among equals, no randomness: coverage spreads before it deepens.
    package static let coverageFirst = TaskSelection(uncertaintyWeight: 0, disagreementWeight: 0, randomShare: 0, seed: 0)

    /// Uniformly random tasks only: the baseline active selection is measured against.
    package static func random(seed: UInt64) -> TaskSelection {
        TaskSelection(uncertaintyWeight: 0, disagreementWeight: 0, randomShare: 1, seed: seed)
    }

    /// Whether the policy reduces to coverage order (no worth, no random picks).
    var ordersByCoverageOnly: Bool { uncertaintyWeight == 0 && disagreementWeight == 0 && randomShare == 0 }

    /// Throws naming the first field out of range.
    func validate() throws {
        for (name, weight) in [("uncertaintyWeight", uncertaintyWeight), ("disagreementWeight", disagreementWeight)]
        where !(weight.isFinite && weight >= 0) {
            throw FeedbackError.invalidField(name: name, reason: "must be a finite number ≥ 0, got \(weight)")
        }
        guard (0...1).contains(randomShare) else {
            throw FeedbackError.invalidField(name: "randomShare", reason: "must lie in 0...1, got \(randomShare)")
        }
    }

    /// The generator for one request: the same seed, annotator and judgment count give the same
    /// draws, so a simulated labeling run replays exactly.
    func generator(annotatorID: Int64, judgments: Int) -> RandomGenerator {
        RandomGenerator(seed: seed ^ (UInt64(bitPattern: annotatorID) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(judgments) &* 0xC2B2_AE3D_27D4_EB4F))
    }

    /// A task's worth under this policy.
    func worth(uncertainty: Double, disagreement: Double, judgments: Int) -> Double {
        (uncertaintyWeight * uncertainty + disagreementWeight * disagreement) / Double(1 + judgments)
    }
}

/// What the queue knows about a task an annotator may be given.
struct SelectionCandidate: Sendable, Equatable {
    var taskID: Int64
    var judgments: Int
    /// The latest value `setTaskUncertainties` wrote, if any.
    var uncertainty: Double?
    var disagreement: Double

    /// A task never scored counts as half-certain: neither favoured nor buried.
    static let unscoredUncertainty = 0.5
}

extension TaskSelection {
    /// The task to hand out among `candidates` (in id order), or nil when there are none.
    func choose(from candidates: [SelectionCandidate], annotatorID: Int64, judgments: Int) -> Int64? {
        guard !candidates.isEmpty else { return nil }
        var generator = generator(annotatorID: annotatorID, judgments: judgments)
        if randomShare > 0, generator.uniformDouble() < randomShare {
            return candidates[generator.integer(in: 0..<candidates.count)].taskID
        }
        func key(_ candidate: SelectionCandidate) -> (Double, Int, Int64) {
            let uncertainty = candidate.uncertainty ?? SelectionCandidate.unscoredUncertainty
            return (-worth(uncertainty: uncertainty, disagreement: candidate.disagreement, judgments: candidate.judgments), candidate.judgments, candidate.taskID)
        }
        return candidates.min { key($0) < key($1) }?.taskID
    }
}

/// How far a task's judgments disagree on which completion is best, in 0...1: 0 when every
/// judgment puts the same completion first (or fewer than two judge it), 1 when the top choices
/// spread as evenly as they can over the task's completions.
func disagreement(topCounts: [Int], judgments: Int, completions: Int) -> Double {
    guard judgments >= 2, completions >= 2, let top = topCounts.max() else { return 0 }
    let agreement = Double(top) / Double(judgments)
    let leastAgreement = max(1 / Double(completions), 1 / Double(judgments))
    guard leastAgreement < 1 else { return 0 }
    return min(1, max(0, (1 - agreement) / (1 - leastAgreement)))
}
