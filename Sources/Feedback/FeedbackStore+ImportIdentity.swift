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
        // Twice at most: an insert skipped for a concurrent import's task finds it on the second look.
        for _ in 1...2 {
            let stored = try await storedTasks(transaction, contentKey: key)
            if let first = stored.first {
                if stored.contains(where: { $0.firstDifference(from: completions) == nil }) { return false }
                let difference = first.firstDifference(from: completions)!
                throw FileFormatError(
                    file: place.file, line: place.line, field: "completions.\(difference.index).model",
                    reason: "is '\(completions[difference.index].provenance.model)', but \(first.name) holds the same prompt and "
                        + "answers and credits this answer to '\(difference.storedModel)'")
            }
            if try await insertTask(transaction, prompt: prompt, completions: completions, importedFrom: place.description) != nil { return true }
        }
        throw FeedbackDatabaseError.unexpectedColumn("comparisonTask.contentKey", expected: "the task an insert skipped", found: "none")
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
        var task: StoredTaskContent?
        for _ in 1...2 where task == nil {
            let stored = try await storedTasks(transaction, contentKey: key)
            var judged: [Int64] = []
            if !stored.isEmpty {
                judged = try await transaction.rows(
                    "SELECT taskID FROM judgment WHERE annotatorID = ? AND taskID IN (" + repeatElement("?", count: stored.count).joined(separator: ", ") + ")",
                    [.integer(annotator.id)] + stored.map { .integer($0.taskID) }).map { try $0.first(Int64.self) }
            }
            if let contradicted = stored.first(where: { judged.contains($0.taskID) }) {
                throw FileFormatError(
                    file: place.file, line: place.line,
                    reason: "annotator '\(annotator.name)' has judged \(contradicted.name) without preferring 'chosen' over 'rejected'; "
                        + "a file may add judgments, not change them")
            }
            if let first = stored.first {
                task = first
            } else if let inserted = try await insertTask(transaction, prompt: line.prompt, completions: completions, importedFrom: place.description) {
                task = StoredTaskContent(
                    taskID: inserted.task.id!, importedFrom: place.description,
                    answers: inserted.completions.map { .init(completionID: $0.id!, text: $0.text, model: $0.model) })
            }
        }
        guard let task else {
            throw FeedbackDatabaseError.unexpectedColumn("comparisonTask.contentKey", expected: "the task an insert skipped", found: "none")
        }
        // The key matched, so both texts are answers of the task (twice over if they are equal).
        let chosen = task.answers.first { $0.text.utf8.elementsEqual(line.chosen.utf8) }!
        let rejected = task.answers.first { $0.completionID != chosen.completionID && $0.text.utf8.elementsEqual(line.rejected.utf8) }!
        _ = try await upsertJudgment(
            transaction, .choice(task: task.taskID, preferred: chosen.completionID, over: rejected.completionID), annotatorID: annotator.id, now: now)
        return true
    }

    /// The stored tasks with this content key, oldest first, with their answers.
    static func storedTasks(_ transaction: any SQLTransaction, contentKey: String) async throws -> [StoredTaskContent] {
        var tasks: [StoredTaskContent] = []
        for row in try await transaction.rows("""
            SELECT t.id AS taskID, t.importedFrom AS importedFrom, c.id AS completionID, c.text AS text, c.model AS model
            FROM comparisonTask t JOIN taskCompletion tc ON tc.taskID = t.id JOIN completion c ON c.id = tc.completionID
            WHERE t.contentKey = ? ORDER BY t.id, tc.position
            """, .text(contentKey)) {
            let taskID: Int64 = try row["taskID"]
            let answer = StoredTaskContent.Answer(completionID: try row["completionID"], text: try row["text"], model: try row["model"])
            if tasks.last?.taskID == taskID {
                tasks[tasks.count - 1].answers.append(answer)
            } else {
                tasks.append(StoredTaskContent(taskID: taskID, importedFrom: try row["importedFrom"], answers: [answer]))
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
