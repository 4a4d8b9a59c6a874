// How an import tells a line the store holds already from a new one, and from one that
// contradicts what it holds: by the content key every task carries (TaskContentKey).

import FeedbackFormats
import Foundation

/// The file and line an imported task came from: where errors point, and what the task keeps.
struct ImportedLine: CustomStringConvertible {
    var file: String
    var line: Int

    var description: String { "\(file):\(line)" }
}

/// Where a preference line's judgment goes, or that its annotator has made it already.
private enum PreferenceTarget {
    case task(StoredTaskContent)
    case alreadyPresent
}

/// A stored task of some content key, as an import compares it with a line.
struct StoredTaskContent {
    struct Answer {
        var completionID: Int64
        var text: String
        var model: String
    }

    var taskID: Int64
    /// The file and line it was imported from; nil for a task stored otherwise, or before keys.
    var importedFrom: String?
    /// Whether it belongs to a batch (a round of `rlhf iterate` or its arena) or is closed: its
    /// judgments are that round's, which a preference file must not add to.
    var heldByRound: Bool
    /// Its answers in the task's order.
    var answers: [Answer]

    /// How an error names it.
    var name: String { "task \(taskID)" + (importedFrom.map { " (imported from \($0))" } ?? "") }

    /// The first of the line's completions (index, and the model this task credits its text to)
    /// that this task does not hold by the same model; nil when it holds them all.
    func firstDifference(from completions: [NewCompletion]) -> (index: Int, storedModel: String)? {
        var unused = answers
        for (index, completion) in completions.enumerated() {
            let sameText = unused.indices.filter { unused[$0].text.utf8.elementsEqual(completion.text.utf8) }
            if let match = sameText.first(where: { unused[$0].model.utf8.elementsEqual(completion.provenance.model.utf8) }) {
                unused.remove(at: match)
            } else {
                // The key matched, so the text is here; only its model differs.
                return (index, sameText.first.map { unused[$0].model } ?? "?")
            }
        }
        return nil
    }
}

extension FeedbackStore {
    /// Stores a task line unless the store holds its task already; true when it stored it.
    static func importTask(
        _ transaction: any SQLTransaction, prompt: String, completions: [NewCompletion], from place: ImportedLine
    ) async throws -> Bool {
        try validateTask(prompt: prompt, completions: completions)
        let key = TaskContentKey.of(prompt: prompt, answers: completions.map(\.text))
        return try await findOrInsertImportedTask(
            transaction, contentKey: key, prompt: prompt, completions: completions, from: place
        ) { stored in
            guard let first = stored.first else { return nil }
            if stored.contains(where: { $0.firstDifference(from: completions) == nil }) { return false }
            let difference = first.firstDifference(from: completions)!
            throw FileFormatError(
                file: place.file, line: place.line, field: "completions.\(difference.index).model",
                reason: "is '\(completions[difference.index].provenance.model)', but \(first.name) holds the same prompt and "
                    + "answers and credits this answer to '\(difference.storedModel)'")
        } inserted: { _ in true }
    }

    /// Stores a preference line's judgment unless its annotator has made it already; true when
    /// it stored it. Throws naming the line when the annotator judged its task otherwise.
    static func importPreference(
        _ transaction: any SQLTransaction, _ line: PreferenceLine, annotator: (id: Int64, name: String),
        models: (chosen: String, rejected: String), from place: ImportedLine, now: Date
    ) async throws -> Bool {
        let completions = [
            NewCompletion(text: line.chosen, provenance: Provenance(model: models.chosen)),
            NewCompletion(text: line.rejected, provenance: Provenance(model: models.rejected)),
        ]
        try validateTask(prompt: line.prompt, completions: completions)
        if try await prefers(transaction, annotatorID: annotator.id, prompt: line.prompt, line.chosen, over: line.rejected) { return false }
        let key = TaskContentKey.of(prompt: line.prompt, answers: [line.chosen, line.rejected])
        let target = try await findOrInsertImportedTask(
            transaction, contentKey: key, prompt: line.prompt, completions: completions, from: place
        ) { stored -> PreferenceTarget? in
            var judged: [Int64] = []
            if !stored.isEmpty {
                judged = try await transaction.rows(
                    "SELECT taskID FROM judgment WHERE annotatorID = ? AND taskID IN (" + repeatElement("?", count: stored.count).joined(separator: ", ") + ")",
                    [.integer(annotator.id)] + stored.map { .integer($0.taskID) }).map { try $0.first(Int64.self) }
            }
            if let contradicted = stored.first(where: { judged.contains($0.taskID) }) {
                // On PostgreSQL the judgment found may be this very line's, from a concurrent
                // import of the same file that committed after `prefers` looked.
                if try await prefers(transaction, annotatorID: annotator.id, prompt: line.prompt, line.chosen, over: line.rejected) {
                    return .alreadyPresent
                }
                throw FileFormatError(
                    file: place.file, line: place.line,
                    reason: "annotator '\(annotator.name)' has judged \(contradicted.name) without preferring 'chosen' over 'rejected'; "
                        + "a file may add judgments, not change them")
            }
            // A round's task is left to that round: the line gets a task of its own.
            return stored.first { !$0.heldByRound }.map(PreferenceTarget.task)
        } inserted: { .task($0) }
        guard case .task(let task) = target else { return false }
        // The key matched, so both texts are answers of the task (twice over if they are equal).
        let chosen = task.answers.first { $0.text.utf8.elementsEqual(line.chosen.utf8) }!
        let rejected = task.answers.first { $0.completionID != chosen.completionID && $0.text.utf8.elementsEqual(line.rejected.utf8) }!
        _ = try await upsertJudgment(
            transaction, .choice(task: task.taskID, preferred: chosen.completionID, over: rejected.completionID), annotatorID: annotator.id, now: now)
        return true
    }

    /// What `match` makes of the stored tasks of `key`, or when it returns nil (none of them will
    /// do), what `inserted` makes of the line's task, stored as imported from `place`. The lookup
    /// runs twice at most: on PostgreSQL an insert that gave way to a concurrent import's task,
    /// once that import committed, finds it on the second look.
    private static func findOrInsertImportedTask<T>(
        _ transaction: any SQLTransaction, contentKey key: String, prompt: String, completions: [NewCompletion],
        from place: ImportedLine, match: ([StoredTaskContent]) async throws -> T?, inserted: (StoredTaskContent) -> T
    ) async throws -> T {
        for _ in 1...2 {
            if let matched = try await match(try await storedTasks(transaction, contentKey: key)) { return matched }
            if let details = try await insertValidatedTask(
                transaction, prompt: prompt, completions: completions, batch: nil, contentKey: key, importedFrom: place.description) {
                return inserted(StoredTaskContent(
                    taskID: details.task.id!, importedFrom: place.description, heldByRound: false,
                    answers: details.completions.map { .init(completionID: $0.id!, text: $0.text, model: $0.model) }))
            }
        }
        throw FeedbackDatabaseError.skippedInsertFoundNoDuplicate(table: "comparisonTask", row: "the task of \(place) (content key \(key))")
    }

    /// The stored tasks with this content key, oldest first, with their answers.
    static func storedTasks(_ transaction: any SQLTransaction, contentKey: String) async throws -> [StoredTaskContent] {
        var tasks: [StoredTaskContent] = []
        for row in try await transaction.rows("""
            SELECT t.id AS taskID, t.importedFrom AS importedFrom, t.batch AS batch, t.closedAt AS closedAt,
                   c.id AS completionID, c.text AS text, c.model AS model
            FROM comparisonTask t JOIN taskCompletion tc ON tc.taskID = t.id JOIN completion c ON c.id = tc.completionID
            WHERE t.contentKey = ? ORDER BY t.id, tc.position
            """, .text(contentKey)) {
            let taskID: Int64 = try row["taskID"]
            let answer = StoredTaskContent.Answer(completionID: try row["completionID"], text: try row["text"], model: try row["model"])
            if tasks.last?.taskID == taskID {
                tasks[tasks.count - 1].answers.append(answer)
            } else {
                let importedFrom: String? = try row["importedFrom"], batch: String? = try row["batch"], closedAt: Date? = try row["closedAt"]
                tasks.append(StoredTaskContent(
                    taskID: taskID, importedFrom: importedFrom, heldByRound: importedFrom == nil && (batch != nil || closedAt != nil), answers: [answer]))
            }
        }
        return tasks
    }

    /// Whether one of the annotator's judgments, of any task of the prompt, ranks an answer
    /// `chosen` above an answer `rejected`: what a preference line of theirs says.
    private static func prefers(
        _ transaction: any SQLTransaction, annotatorID: Int64, prompt: String, _ chosen: String, over rejected: String
    ) async throws -> Bool {
        try await transaction.row("""
            SELECT 1 AS found FROM judgment j
            JOIN comparisonTask t ON t.id = j.taskID
            JOIN prompt p ON p.id = t.promptID
            JOIN judgmentRank better ON better.judgmentID = j.id
            JOIN completion b ON b.id = better.completionID
            JOIN judgmentRank worse ON worse.judgmentID = j.id
            JOIN completion w ON w.id = worse.completionID
            WHERE j.annotatorID = ? AND p.text = ? AND b.text = ? AND w.text = ? AND better.tier < worse.tier
            LIMIT 1
            """, .integer(annotatorID), .text(prompt), .text(chosen), .text(rejected)) != nil
    }
}
