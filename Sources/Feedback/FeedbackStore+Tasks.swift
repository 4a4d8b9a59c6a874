// Loading prompts, completions and comparison tasks, and handing annotators their next task.

import Foundation
import GRDB
import Randomness

/// A completion to be stored with a new task.
package struct NewCompletion: Codable, Sendable, Equatable {
    /// The model's answer.
    package var text: String
    /// Where it came from.
    package var provenance: Provenance

    /// Creates a new completion.
    package init(text: String, provenance: Provenance) {
        self.text = text
        self.provenance = provenance
    }
}

/// A task as one annotator sees it: the prompt and the completions in an order shuffled for
/// this annotator, with no model names.
package struct AnnotationTask: Codable, Sendable, Equatable {
    /// A completion as shown for judging.
    package struct ShownCompletion: Codable, Sendable, Equatable {
        /// The completion's id, which a judgment names.
        package var id: Int64
        /// The completion's text (untrusted).
        package var text: String
    }

    /// The task.
    package var taskID: Int64
    /// The prompt text.
    package var prompt: String
    /// The completions, in this annotator's order.
    package var completions: [ShownCompletion]
}

/// A task's size and progress, for the admin page.
package struct TaskSummary: Codable, Sendable, Equatable {
    /// The task.
    package var taskID: Int64
    /// Its prompt text.
    package var prompt: String
    /// How many completions it compares.
    package var completions: Int
    /// How many judgments it has.
    package var judgments: Int
}

/// A task with everything known about it, for administrators and exports.
package struct TaskDetails: Codable, Sendable, Equatable {
    /// The task.
    package var task: ComparisonTask
    /// Its prompt.
    package var prompt: Prompt
    /// Its completions in stored order.
    package var completions: [Completion]
}

extension FeedbackStore {
    /// Stores a task: its prompt (reused if the same text exists) and its completions, at once.
    package func createTask(prompt: String, completions: [NewCompletion]) async throws -> TaskDetails {
        try await database.write { db in try Self.insertTask(db, prompt: prompt, completions: completions) }
    }

    /// Inserts a task inside an open transaction; the importers batch many of these in one.
    static func insertTask(_ db: Database, prompt text: String, completions: [NewCompletion]) throws -> TaskDetails {
        guard completions.count >= 2 else { throw FeedbackError.taskNeedsCompletions(found: completions.count) }
        let prompt = try findOrInsertPrompt(db, text: text)
        var task = ComparisonTask(promptID: prompt.id!, createdAt: Date())
        try task.insert(db)
        var stored: [Completion] = []
        for (position, new) in completions.enumerated() {
            _ = try validatedText(new.text, field: "completions[\(position)].text", limit: 100_000)
            _ = try validatedText(new.provenance.model, field: "completions[\(position)].model", limit: 200, required: true)
            var completion = Completion(promptID: prompt.id!, text: new.text, provenance: new.provenance)
            try completion.insert(db)
            try TaskCompletion(taskID: task.id!, completionID: completion.id!, position: position).insert(db)
            stored.append(completion)
        }
        return TaskDetails(task: task, prompt: prompt, completions: stored)
    }

    /// The prompt with this text, inserted if new.
    static func findOrInsertPrompt(_ db: Database, text: String, messages: [ChatMessage]? = nil) throws -> Prompt {
        _ = try validatedText(text, field: "prompt", limit: 100_000, required: true)
        if let existing = try Prompt.filter(Column("text") == text).fetchOne(db) { return existing }
        var prompt = Prompt(text: text, messages: messages)
        try prompt.insert(db)
        return prompt
    }

    /// The task this annotator should judge next: one they have not judged, with the fewest
    /// judgments so far (oldest first among equals), so coverage spreads before it deepens.
    package func nextTask(for annotatorID: Int64) async throws -> AnnotationTask? {
        try await database.read { db in
            let taskID = try Int64.fetchOne(db, sql: """
                SELECT t.id FROM comparisonTask t
                WHERE NOT EXISTS (SELECT 1 FROM judgment j WHERE j.taskID = t.id AND j.annotatorID = ?)
                ORDER BY (SELECT COUNT(*) FROM judgment j WHERE j.taskID = t.id), t.id
                LIMIT 1
                """, arguments: [annotatorID])
            return try taskID.map { try Self.annotationTask(db, taskID: $0, annotatorID: annotatorID) }
        }
    }

    /// A task as `annotatorID` sees it (any annotator may judge any task).
    package func annotationTask(id taskID: Int64, for annotatorID: Int64) async throws -> AnnotationTask {
        try await database.read { db in try Self.annotationTask(db, taskID: taskID, annotatorID: annotatorID) }
    }

    private static func annotationTask(_ db: Database, taskID: Int64, annotatorID: Int64) throws -> AnnotationTask {
        let details = try taskDetails(db, taskID: taskID)
        // Seeded by task and annotator: a reload shows the same order, another annotator another
        // order, and the position never hints at which model wrote what.
        var generator = RandomGenerator(seed: UInt64(bitPattern: taskID) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: annotatorID))
        let order = generator.permutation(details.completions.count)
        return AnnotationTask(
            taskID: taskID, prompt: details.prompt.text,
            completions: order.map { AnnotationTask.ShownCompletion(id: details.completions[$0].id!, text: details.completions[$0].text) }
        )
    }

    /// Everything about a task, models included (for administrators).
    package func taskDetails(id taskID: Int64) async throws -> TaskDetails {
        try await database.read { db in try Self.taskDetails(db, taskID: taskID) }
    }

    static func taskDetails(_ db: Database, taskID: Int64) throws -> TaskDetails {
        guard let task = try ComparisonTask.fetchOne(db, key: taskID) else { throw FeedbackError.taskNotFound(taskID) }
        let prompt = try Prompt.fetchOne(db, key: task.promptID)!
        let completions = try Completion.fetchAll(db, sql: """
            SELECT c.* FROM completion c JOIN taskCompletion tc ON tc.completionID = c.id
            WHERE tc.taskID = ? ORDER BY tc.position
            """, arguments: [taskID])
        return TaskDetails(task: task, prompt: prompt, completions: completions)
    }

    /// Tasks with how many judgments each has, newest first, for the admin page.
    package func taskSummaries(limit: Int = 50) async throws -> [TaskSummary] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.id AS taskID, p.text AS prompt,
                       (SELECT COUNT(*) FROM taskCompletion tc WHERE tc.taskID = t.id) AS completions,
                       (SELECT COUNT(*) FROM judgment j WHERE j.taskID = t.id) AS judgments
                FROM comparisonTask t JOIN prompt p ON p.id = t.promptID
                ORDER BY t.id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                TaskSummary(taskID: row["taskID"], prompt: row["prompt"], completions: row["completions"], judgments: row["judgments"])
            }
        }
    }
}
