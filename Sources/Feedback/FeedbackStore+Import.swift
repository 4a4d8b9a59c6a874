// Importing task files and TRL preference files: each file in one transaction, all or nothing,
// and again without effect: what the store holds already is counted, not stored twice.

import FeedbackFormats
import Foundation

/// What an import stored, and what it found stored already.
package struct ImportReport: Sendable, Equatable, CustomStringConvertible {
    /// Lines stored: new tasks, or for preferences new judgments.
    package var imported = 0
    /// Lines the store held already: from an earlier import of the file, an export of this
    /// store, or an earlier line of the same file.
    package var alreadyPresent = 0

    package init(imported: Int = 0, alreadyPresent: Int = 0) {
        self.imported = imported
        self.alreadyPresent = alreadyPresent
    }

    package var description: String {
        alreadyPresent == 0 ? "\(imported) imported" : "\(imported) imported, \(alreadyPresent) already present"
    }
}

extension FeedbackStore {
    /// Stores one task per line, all in one transaction, skipping the tasks the store holds
    /// already (see `TaskContentKey`). A line that fails a check, or that credits a stored
    /// task's answers to other models, throws with its line number and nothing of the file is kept.
    @discardableResult
    package func importTasks(_ lines: [NumberedLine<TaskLine>], source: String = "tasks") async throws -> ImportReport {
        try await database.write { transaction in
            // A server from before keys may share the store and has stored tasks without them.
            try await TaskContentKey.keyUnkeyedTasks(transaction)
            var report = ImportReport()
            for numbered in lines {
                let completions = numbered.value.completions.map {
                    NewCompletion(text: $0.text, provenance: Provenance(model: $0.model, checkpoint: $0.checkpoint, sampling: $0.sampling, seed: $0.seed))
                }
                let place = ImportedLine(file: source, line: numbered.line)
                let stored = try await Self.atLine(place) {
                    try await Self.importTask(transaction, prompt: numbered.value.prompt, completions: completions, from: place)
                }
                if stored { report.imported += 1 } else { report.alreadyPresent += 1 }
            }
            return report
        }
    }

    /// Stores each preference line as a judgment, chosen over rejected, by the line's annotator
    /// or else `annotatorName` (created if absent), of a two-answer task; all in one transaction.
    ///
    /// A line is already present when its annotator has a judgment ranking chosen above rejected
    /// for the prompt, in any task: so a preference export of this store imports as nothing.
    /// A task of just these two answers is reused, keeping the models it was stored with, unless
    /// it belongs to a batch (a round's judgments are the round's own); a line contradicting its
    /// annotator's judgment of a task of these answers is refused, naming the line.
    @discardableResult
    package func importPreferences(
        _ lines: [NumberedLine<PreferenceLine>], annotatorName: String, chosenModel: String = "imported-chosen",
        rejectedModel: String = "imported-rejected", source: String = "preferences"
    ) async throws -> ImportReport {
        _ = try validatedText(annotatorName, field: "annotator", limit: Annotator.nameLimit, required: true)
        let now = Date()
        return try await database.write { transaction in
            // As for task files: so the lookups below see every task of a key.
            try await TaskContentKey.keyUnkeyedTasks(transaction)
            var report = ImportReport(), annotators: [String: Int64] = [:]
            for numbered in lines {
                let line = numbered.value
                let place = ImportedLine(file: source, line: numbered.line)
                let name = line.annotator ?? annotatorName
                let annotatorID: Int64
                if let known = annotators[name] {
                    annotatorID = known
                } else {
                    annotatorID = try await Self.atLine(place) { try await Self.findOrInsertAnnotator(transaction, name: name, field: "annotator").id! }
                    annotators[name] = annotatorID
                }
                let stored = try await Self.atLine(place) {
                    try await Self.importPreference(
                        transaction, line, annotator: (annotatorID, name), models: (chosenModel, rejectedModel), from: place, now: now)
                }
                if stored { report.imported += 1 } else { report.alreadyPresent += 1 }
            }
            return report
        }
    }

    /// Every judgment's implied chosen/rejected pairs, in judgment order.
    package func preferencePairs() async throws -> [PreferencePair] {
        try await rankedComparisons().flatMap(\.preferencePairs)
    }

    /// The preference export: TRL's lines, each with the annotator whose judgment implies it, so
    /// that importing the file into this store again adds nothing and into another store keeps
    /// who judged what.
    package func preferenceLines() async throws -> [PreferenceLine] {
        try await preferencePairs().map { PreferenceLine(prompt: $0.prompt, chosen: $0.chosen, rejected: $0.rejected, annotator: $0.annotator) }
    }

    /// Runs `body` for one line, turning a refusal into an error naming the file and line.
    private static func atLine<T>(_ place: ImportedLine, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FeedbackError {
            throw FileFormatError(file: place.file, line: place.line, reason: error.description)
        }
    }
}
