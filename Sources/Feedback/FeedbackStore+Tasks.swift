// Loading prompts, completions and comparison tasks, and handing annotators their next task.

import Foundation
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
    /// Stores a task: its prompt (reused if the same text exists) and its completions, at once,
    /// in `batch` when given (see `taskIDs(inBatch:)`).
    package func createTask(prompt: String, completions: [NewCompletion], batch: String? = nil) async throws -> TaskDetails {
        try await database.write { transaction in try await Self.insertTask(transaction, prompt: prompt, completions: completions, batch: batch) }
    }

    /// Characters a prompt (a chat's whole transcript included) may hold.
    package static let promptLimit = 100_000

    /// Inserts a task inside an open transaction (`createTasks` stores a round's batch in one).
    static func insertTask(
        _ transaction: any SQLTransaction, prompt text: String, completions: [NewCompletion], batch: String? = nil
    ) async throws -> TaskDetails {
        let batch = try validateTask(prompt: text, completions: completions, batch: batch)
        let key = TaskContentKey.of(prompt: text, answers: completions.map(\.text))
        guard let details = try await insertValidatedTask(
            transaction, prompt: text, completions: completions, batch: batch, contentKey: key, importedFrom: nil)
        else {
            // Only imported tasks are unique by content, so nothing stored should make this one give way.
            throw FeedbackDatabaseError.skippedInsertFoundNoDuplicate(table: "comparisonTask", row: "a task of content key \(key)")
        }
        return details
    }

    /// Refuses a task the store cannot hold, before anything of it is looked up or stored;
    /// returns the batch as stored (nil for none or a blank one).
    @discardableResult
    static func validateTask(prompt: String, completions: [NewCompletion], batch: String? = nil) throws -> String? {
        guard completions.count >= 2 else { throw FeedbackError.taskNeedsCompletions(found: completions.count) }
        let batch = try validatedText(batch, field: "batch", limit: 1000)
        for (position, new) in completions.enumerated() {
            _ = try validatedText(new.text, field: "completions[\(position)].text", limit: 100_000)
            _ = try validatedText(new.provenance.model, field: "completions[\(position)].model", limit: 200, required: true)
        }
        _ = try validatedText(prompt, field: "prompt", limit: promptLimit, required: true)
        return batch
    }

    /// Inserts a task that `validateTask` passed, with its content key (`TaskContentKey.of` of its
    /// prompt and answers) and, for an import, the file and line it came from. Nil when an
    /// imported task of the same content is stored already: on PostgreSQL one that a concurrent
    /// import committed while this insert waited for it (the caller looks it up).
    static func insertValidatedTask(
        _ transaction: any SQLTransaction, prompt text: String, completions: [NewCompletion], batch: String?,
        contentKey key: String, importedFrom: String?
    ) async throws -> TaskDetails? {
        let prompt = try await findOrInsertPrompt(transaction, text: text)
        guard let row = try await transaction.row("""
            INSERT INTO comparisonTask (promptID, createdAt, batch, contentKey, importedFrom) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING RETURNING \(ComparisonTask.columns())
            """, .integer(prompt.id!), .date(Date()), .nullable(batch), .text(key), .nullable(importedFrom))
        else { return nil }
        let task = try ComparisonTask(row: row)
        // In a random order: ids grow with each insert, and callers list a task's completions
        // model by model, so ids in the given order would tell an annotator which model wrote
        // which answer. Nothing that counts reads ids' order (rankings go by task position).
        var inserted: [Int: Completion] = [:]
        for index in completions.indices.shuffled() {
            inserted[index] = try await insertCompletion(transaction, promptID: prompt.id!, completions[index])
        }
        let stored = completions.indices.map { inserted[$0]! }
        try await transaction.execute(
            "INSERT INTO taskCompletion (taskID, completionID, position) VALUES "
                + repeatElement("(?, ?, ?)", count: stored.count).joined(separator: ", "),
            arguments: stored.enumerated().flatMap { position, completion in [.integer(task.id!), .integer(completion.id!), .int(position)] })
        return TaskDetails(task: task, prompt: prompt, completions: stored)
    }

    /// Inserts a completion and returns it as stored.
    static func insertCompletion(
        _ transaction: any SQLTransaction, promptID: Int64, _ new: NewCompletion, requestedBy annotatorID: Int64? = nil
    ) async throws -> Completion {
        let completion = Completion(promptID: promptID, text: new.text, provenance: new.provenance, requestedByAnnotatorID: annotatorID)
        return try Completion(row: try await transaction.inserted("""
            INSERT INTO completion (promptID, text, model, checkpoint, sampling, seed, requestedByAnnotatorID, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING \(Completion.columns())
            """, .integer(promptID), .text(completion.text), .text(completion.model), .nullable(completion.checkpoint),
            try .json(completion.sampling), .nullable(completion.seed), .nullable(annotatorID), .date(completion.createdAt)))
    }

    /// The prompt with this text, inserted if new. The insert skips a prompt another transaction
    /// stored first (on PostgreSQL after waiting for it to commit), which the lookup then finds.
    /// A conversation is stored only under a prompt of the very same messages: two conversations
    /// can render to one transcript (a message may itself contain "assistant: …"), and the second
    /// is then stored under the transcript with a numbered suffix, so no one's corrections are
    /// ever learned against another's conversation.
    static func findOrInsertPrompt(_ transaction: any SQLTransaction, text: String, messages: [ChatMessage]? = nil) async throws -> Prompt {
        _ = try validatedText(text, field: "prompt", limit: promptLimit, required: true)
        for attempt in 1...8 {
            let candidate = attempt == 1 ? text : "\(text)\n\n(conversation \(attempt))"
            if let inserted = try await transaction.row(
                "INSERT INTO prompt (text, messages, createdAt) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING \(Prompt.columns())",
                .text(candidate), try .json(messages), .date(Date())) {
                return try Prompt(row: inserted)
            }
            if let existing = try await transaction.row("SELECT \(Prompt.columns()) FROM prompt WHERE text = ?", .text(candidate)) {
                let prompt = try Prompt(row: existing)
                if messages == nil || prompt.messages == messages { return prompt }
            }
        }
        throw FeedbackError.invalidField(name: "prompt", reason: "collides with other stored prompts; reword it")
    }

    /// The task this annotator should judge next: one they have not judged, chosen by the
    /// stored `TaskSelection` (by default the fewest judgments first, oldest first among equals).
    package func nextTask(for annotatorID: Int64) async throws -> AnnotationTask? {
        try await database.read { transaction in
            guard let taskID = try await Self.nextTaskID(transaction, annotatorID: annotatorID) else { return nil }
            return try await Self.annotationTask(transaction, taskID: taskID, annotatorID: annotatorID)
        }
    }

    /// A task as `annotatorID` sees it (any annotator may judge any task).
    package func annotationTask(id taskID: Int64, for annotatorID: Int64) async throws -> AnnotationTask {
        try await database.read { transaction in try await Self.annotationTask(transaction, taskID: taskID, annotatorID: annotatorID) }
    }

    private static func annotationTask(_ transaction: any SQLTransaction, taskID: Int64, annotatorID: Int64) async throws -> AnnotationTask {
        let details = try await taskDetails(transaction, taskID: taskID)
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
        try await database.read { transaction in try await Self.taskDetails(transaction, taskID: taskID) }
    }

    static func taskDetails(_ transaction: any SQLTransaction, taskID: Int64) async throws -> TaskDetails {
        guard let row = try await transaction.row("""
            SELECT t.createdAt AS taskCreatedAt, \(Prompt.columns("p")) FROM comparisonTask t JOIN prompt p ON p.id = t.promptID
            WHERE t.id = ?
            """, .integer(taskID))
        else { throw FeedbackError.taskNotFound(taskID) }
        let prompt = try Prompt(row: row)
        let task = ComparisonTask(id: taskID, promptID: prompt.id!, createdAt: try row["taskCreatedAt"])
        let completions = try await transaction.rows("""
            SELECT \(Completion.columns("c")) FROM completion c JOIN taskCompletion tc ON tc.completionID = c.id
            WHERE tc.taskID = ? ORDER BY tc.position
            """, .integer(taskID)).map(Completion.init(row:))
        return TaskDetails(task: task, prompt: prompt, completions: completions)
    }

    /// Tasks with how many judgments each has, newest first, for the admin page.
    package func taskSummaries(limit: Int = 50) async throws -> [TaskSummary] {
        try await database.read { transaction in
            try await transaction.rows("""
                SELECT t.id AS taskID, p.text AS prompt,
                       (SELECT COUNT(*) FROM taskCompletion tc WHERE tc.taskID = t.id) AS completions,
                       (SELECT COUNT(*) FROM judgment j WHERE j.taskID = t.id) AS judgments
                FROM comparisonTask t JOIN prompt p ON p.id = t.promptID
                ORDER BY t.id DESC LIMIT ?
                """, .int(limit)).map { row in
                TaskSummary(taskID: try row["taskID"], prompt: try row["prompt"], completions: try row["completions"], judgments: try row["judgments"])
            }
        }
    }
}
