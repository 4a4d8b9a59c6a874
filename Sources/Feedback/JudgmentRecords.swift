// The records for what people said: judgments with their ranks, demonstrations, answer ratings.

import Foundation

/// Whether a judgment ranks every completion of its task or chooses between two of them.
package enum JudgmentKind: String, Codable, Sendable {
    /// Every completion of the task is placed in a tier.
    case ranking
    /// Exactly two completions of the task are compared.
    case pairwise
}

/// An annotator's judgment of a task. One per annotator and task: judging again replaces it.
package struct Judgment: Codable, Sendable, Equatable, Identifiable {
    /// Row id; nil before insertion.
    package var id: Int64?
    /// The task judged.
    package var taskID: Int64
    /// Who judged it.
    package var annotatorID: Int64
    /// A full ranking or a pairwise choice.
    package var kind: JudgmentKind
    /// Whether the annotator found every compared completion unacceptable (then all share one tier).
    package var bothBad: Bool
    /// The annotator's reason, if given.
    package var reason: String?
    /// When the judgment was first made.
    package var createdAt: Date
    /// When it was last changed; ratings replay judgments in this order.
    package var updatedAt: Date
}

/// Where a demonstration was written.
package enum DemonstrationOrigin: String, Codable, Sendable {
    /// "Write a better answer" on the labeling page.
    case labeling
    /// A correction of a chat reply.
    case chat
    /// Loaded from a file.
    case imported
}

/// A person's own answer to a prompt: written from scratch or as a correction of a completion.
package struct Demonstration: Codable, Sendable, Equatable, Identifiable {
    /// Row id; nil before insertion.
    package var id: Int64?
    /// The prompt answered.
    package var promptID: Int64
    /// Who wrote it.
    package var annotatorID: Int64
    /// The answer.
    package var text: String
    /// The completion it corrects, if any.
    package var correctsCompletionID: Int64?
    /// The judgment it was written with, if any (replaced when that judgment is).
    package var judgmentID: Int64?
    /// Where it was written.
    package var origin: DemonstrationOrigin
    /// When it was written.
    package var createdAt: Date
}

/// A thumbs-up or thumbs-down on a single answer (chat). One per annotator and completion.
package struct AnswerRating: Codable, Sendable, Equatable {
    /// Row id; nil before insertion.
    package var id: Int64?
    /// The answer rated.
    package var completionID: Int64
    /// Who rated it.
    package var annotatorID: Int64
    /// Thumbs up (true) or down (false).
    package var isGood: Bool
    /// When it was (last) rated.
    package var createdAt: Date
}
