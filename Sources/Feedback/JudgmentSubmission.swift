// What an annotator submits about a task, with the checks it must pass against the task.

/// An annotator's verdict on a task, before it is stored.
package struct JudgmentSubmission: Codable, Sendable, Equatable {
    /// Longest accepted reason or better answer, in characters.
    package static let textLimit = 20_000

    /// The task judged.
    package var taskID: Int64
    /// A full ranking or a pairwise choice.
    package var kind: JudgmentKind
    /// Completion ids grouped in tiers, best tier first; a tier of several is a tie.
    package var tiers: [[Int64]]
    /// Every compared completion is unacceptable (requires a single tier).
    package var bothBad: Bool
    /// Why, in the annotator's words.
    package var reason: String?
    /// A better answer the annotator wrote; stored as a demonstration for the task's prompt.
    package var betterAnswer: String?

    /// Creates a submission; see the static constructors for the common shapes.
    package init(
        taskID: Int64, kind: JudgmentKind, tiers: [[Int64]], bothBad: Bool = false,
        reason: String? = nil, betterAnswer: String? = nil
    ) {
        self.taskID = taskID
        self.kind = kind
        self.tiers = tiers
        self.bothBad = bothBad
        self.reason = reason
        self.betterAnswer = betterAnswer
    }

    /// A strict ranking of every completion, best first.
    package static func ranking(task: Int64, bestFirst order: [Int64], reason: String? = nil) -> Self {
        Self(taskID: task, kind: .ranking, tiers: order.map { [$0] }, reason: reason)
    }

    /// A choice of `preferred` over `other`.
    package static func choice(task: Int64, preferred: Int64, over other: Int64, reason: String? = nil) -> Self {
        Self(taskID: task, kind: .pairwise, tiers: [[preferred], [other]], reason: reason)
    }

    /// A tie between two completions, optionally because both are bad.
    package static func tie(task: Int64, between a: Int64, and b: Int64, bothBad: Bool = false) -> Self {
        Self(taskID: task, kind: .pairwise, tiers: [[a, b]], bothBad: bothBad)
    }

    /// Checks the submission against the task's completions; returns each completion's tier.
    func validatedTiers(taskCompletions: [Int64]) throws -> [Int64: Int] {
        var tierOf: [Int64: Int] = [:]
        let members = Set(taskCompletions)
        for (tier, ids) in tiers.enumerated() {
            guard !ids.isEmpty else { throw FeedbackError.emptyTier(tier) }
            for id in ids {
                guard members.contains(id) else { throw FeedbackError.completionNotInTask(completionID: id, taskID: taskID) }
                guard tierOf.updateValue(tier, forKey: id) == nil else { throw FeedbackError.duplicateCompletion(id) }
            }
        }
        switch kind {
        case .ranking:
            let missing = taskCompletions.filter { tierOf[$0] == nil }
            guard missing.isEmpty else { throw FeedbackError.incompleteRanking(missing: missing) }
        case .pairwise:
            guard tierOf.count == 2 else { throw FeedbackError.pairwiseNeedsTwoCompletions(found: tierOf.count) }
        }
        if bothBad && tiers.count != 1 { throw FeedbackError.bothBadMustBeATie }
        _ = try validatedText(reason, field: "reason", limit: Self.textLimit)
        _ = try validatedText(betterAnswer, field: "betterAnswer", limit: Self.textLimit)
        return tierOf
    }
}
