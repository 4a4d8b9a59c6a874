// Importing task files and TRL preference files: each file in one transaction, all or nothing.

import FeedbackFormats
import Foundation

extension FeedbackStore {
    /// Stores one task per line, all in one transaction; returns how many were stored.
    /// A line that fails a check throws with its line number and nothing of the batch is kept.
    @discardableResult
    package func importTasks(_ lines: [NumberedLine<TaskLine>], source: String = "tasks") async throws -> Int {
        try await database.write { transaction in
            for numbered in lines {
                let line = numbered.value
                let completions = line.completions.map {
                    NewCompletion(text: $0.text, provenance: Provenance(model: $0.model, checkpoint: $0.checkpoint, sampling: $0.sampling, seed: $0.seed))
                }
                try await Self.atLine(numbered.line, source: source) {
                    _ = try await Self.insertTask(transaction, prompt: line.prompt, completions: completions)
                }
            }
            return lines.count
        }
    }

    /// Stores each preference line as a two-completion task judged by `annotatorName` (created if
    /// absent), chosen over rejected, all in one transaction; returns how many were stored.
    @discardableResult
    package func importPreferences(
        _ lines: [NumberedLine<PreferenceLine>], annotatorName: String, chosenModel: String = "imported-chosen",
        rejectedModel: String = "imported-rejected", source: String = "preferences"
    ) async throws -> Int {
        let annotator = try await annotator(named: annotatorName)
        let now = Date()
        return try await database.write { transaction in
            for numbered in lines {
                let line = numbered.value
                try await Self.atLine(numbered.line, source: source) {
                    let task = try await Self.insertTask(transaction, prompt: line.prompt, completions: [
                        NewCompletion(text: line.chosen, provenance: Provenance(model: chosenModel)),
                        NewCompletion(text: line.rejected, provenance: Provenance(model: rejectedModel)),
                    ])
                    let choice = JudgmentSubmission.choice(
                        task: task.task.id!, preferred: task.completions[0].id!, over: task.completions[1].id!)
                    _ = try await Self.upsertJudgment(transaction, choice, annotatorID: annotator.id!, now: now)
                }
            }
            return lines.count
        }
    }

    /// Every judgment's implied chosen/rejected pairs, in judgment order.
    package func preferencePairs() async throws -> [PreferencePair] {
        try await rankedComparisons().flatMap(\.preferencePairs)
    }

    /// Runs `body` for one line, turning a refusal into an error naming the file and line.
    private static func atLine(_ line: Int, source: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as FeedbackError {
            throw FileFormatError(file: source, line: line, reason: error.description)
        }
    }
}
