// Every way a feedback request can be refused, each naming the record or field at fault.

import Foundation

/// A request to the feedback store that cannot be carried out.
package enum FeedbackError: Error, Equatable, CustomStringConvertible {
    /// No task with this id.
    case taskNotFound(Int64)
    /// No judgment with this id belongs to the asking annotator (whether or not it exists).
    case judgmentNotFound(Int64)
    /// No completion with this id (visible to the asking annotator).
    case completionNotFound(Int64)
    /// No annotator with this name.
    case annotatorNotFound(String)
    /// An annotator with this name exists already.
    case annotatorExists(String)
    /// A completion named in a judgment is not part of the task.
    case completionNotInTask(completionID: Int64, taskID: Int64)
    /// A completion appears twice in one judgment.
    case duplicateCompletion(Int64)
    /// A ranking left out some of the task's completions.
    case incompleteRanking(missing: [Int64])
    /// A pairwise choice must compare exactly two completions.
    case pairwiseNeedsTwoCompletions(found: Int)
    /// A ranking has an empty tier.
    case emptyTier(Int)
    /// "Both bad" says the completions are equally unacceptable, so they must share one tier.
    case bothBadMustBeATie
    /// A task needs 2 or more completions.
    case taskNeedsCompletions(found: Int)
    /// A text field is empty or too long.
    case invalidField(name: String, reason: String)
    /// The annotator has judged as many new tasks as the vote limit allows in its window.
    case voteLimitReached(limit: Int, window: TimeInterval)

    package var description: String {
        switch self {
        case .taskNotFound(let id): "task \(id) does not exist"
        case .judgmentNotFound(let id): "judgment \(id) does not exist or is not yours"
        case .completionNotFound(let id): "completion \(id) does not exist or is not yours"
        case .annotatorNotFound(let name): "no annotator is named '\(name)'"
        case .annotatorExists(let name): "an annotator named '\(name)' already exists"
        case .completionNotInTask(let completion, let task): "completion \(completion) is not part of task \(task)"
        case .duplicateCompletion(let id): "completion \(id) appears more than once"
        case .incompleteRanking(let missing): "the ranking leaves out completions \(missing.map(String.init).joined(separator: ", "))"
        case .pairwiseNeedsTwoCompletions(let found): "a pairwise choice compares exactly 2 completions, not \(found)"
        case .emptyTier(let index): "tier \(index) of the ranking is empty"
        case .bothBadMustBeATie: "a 'both bad' judgment must put every compared completion in one tier"
        case .taskNeedsCompletions(let found): "a comparison task needs at least 2 completions, not \(found)"
        case .invalidField(let name, let reason): "field '\(name)': \(reason)"
        case .voteLimitReached(let limit, let window):
            "you have judged \(limit) tasks in the last \(Int(window / 60)) minutes, the most this server accepts: try again later"
        }
    }
}

/// Checks a free-text field: not blank when required, at most `limit` characters, no U+0000.
/// Characters are counted as Unicode scalars: a count of grapheme clusters lets one "character"
/// carry any number of combining marks past the limit.
func validatedText(_ text: String?, field: String, limit: Int, required: Bool = false) throws -> String? {
    guard let text, !text.allSatisfy(\.isWhitespace) else {
        if required { throw FeedbackError.invalidField(name: field, reason: "must not be empty") }
        return nil
    }
    var count = 0
    for scalar in text.unicodeScalars {
        // Neither store holds it: SQLite would cut the text there, PostgreSQL refuses it.
        if scalar == "\0" { throw FeedbackError.invalidField(name: field, reason: "must not contain the NUL character (U+0000)") }
        count += 1
    }
    guard count <= limit else {
        throw FeedbackError.invalidField(name: field, reason: "at most \(limit) characters, got \(count)")
    }
    return text
}

/// Text a model wrote, ready for the store: without U+0000, which a byte-level tokenizer can
/// decode but the store refuses (a person's text with it is refused; a model's answer is kept).
package func storableModelText(_ text: String) -> String {
    guard text.unicodeScalars.contains("\0") else { return text }
    return String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\0" }))
}
