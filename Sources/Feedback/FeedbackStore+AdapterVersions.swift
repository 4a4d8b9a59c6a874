// What the chatbot learns from (corrections, and answers people rated) and the adapter versions
// learned from it, one of them active: the chat answers with it, and rolling back is
// activating an older one.

import Foundation

extension FeedbackStore {
    /// Every correction of a model answer and every rated answer, oldest first, leaving out
    /// annotators excluded from exports (what never reaches a training file must not reach the
    /// live model either) and corrections their author has since corrected again.
    package func learningMaterial() async throws -> LearningMaterial {
        try await database.read { transaction in
            let corrections = try await transaction.rows("""
                SELECT d.id AS id, d.text AS text, d.correctsCompletionID AS correctsCompletionID, c.text AS correctedText,
                       p.text AS prompt, p.messages AS messages, a.name AS name
                FROM demonstration d
                JOIN completion c ON c.id = d.correctsCompletionID
                JOIN prompt p ON p.id = d.promptID
                JOIN annotator a ON a.id = d.annotatorID
                WHERE NOT a.excludedFromExports AND \(Self.latestCorrection)
                ORDER BY d.id
                """).map { row in
                CorrectionRecord(
                    demonstrationID: try row["id"], conversation: try Self.conversation(row), text: try row["text"],
                    correctedCompletionID: try row["correctsCompletionID"], correctedText: try row["correctedText"], annotator: try row["name"])
            }
            let rated = try await transaction.rows("""
                SELECT r.id AS id, r.completionID AS completionID, r.isGood AS isGood, c.text AS text, p.text AS prompt, p.messages AS messages
                FROM answerRating r
                JOIN completion c ON c.id = r.completionID
                JOIN prompt p ON p.id = c.promptID
                JOIN annotator a ON a.id = r.annotatorID
                WHERE NOT a.excludedFromExports
                ORDER BY r.id
                """).map { row in
                RatedAnswerRecord(
                    ratingID: try row["id"], completionID: try row["completionID"], conversation: try Self.conversation(row),
                    text: try row["text"], isGood: try row["isGood"])
            }
            return LearningMaterial(corrections: corrections, ratedAnswers: rated)
        }
    }

    /// A chat prompt's stored conversation, or a plain prompt as one user message.
    private static func conversation(_ row: SQLRow) throws -> [ChatMessage] {
        try row.json([ChatMessage].self, "messages") ?? [ChatMessage(role: .user, content: try row["prompt"])]
    }

    /// A demonstration that is its author's last correction of its answer: the chat lets a
    /// person correct the same answer again, and only the newest text is what they meant.
    private static let latestCorrection = """
        d.id = (SELECT MAX(n.id) FROM demonstration n WHERE n.correctsCompletionID = d.correctsCompletionID AND n.annotatorID = d.annotatorID)
        """

    /// Corrections that `learningMaterial` reads and no ready version has learned from yet.
    package func correctionsNotYetLearned() async throws -> Int {
        try await database.read { transaction in
            try await transaction.scalar(Int.self, """
                SELECT COUNT(*) FROM demonstration d
                JOIN annotator a ON a.id = d.annotatorID
                WHERE d.correctsCompletionID IS NOT NULL AND NOT a.excludedFromExports AND \(Self.latestCorrection) AND NOT EXISTS (
                  SELECT 1 FROM adapterVersionDemonstration l JOIN adapterVersion v ON v.id = l.versionID
                  WHERE l.demonstrationID = d.id AND v.status = 'ready')
                """) ?? 0
        }
    }

    /// How long a training version may go without its learner's sign of life (`renewAdapterVersion`)
    /// before another learner counts it abandoned: a learner killed mid-training leaves its row.
    package static let adapterTrainingLease: TimeInterval = 300

    /// The failure recorded for versions the lease's migration found training beside a newer one.
    static let supersededTraining = "interrupted: a newer version began training before versions trained one at a time"

    /// Records that a version starts training from these corrections and ratings; `folder` names
    /// its folder from its version number. One version trains at a time: a version training
    /// under a live lease refuses the new one (`alreadyTraining`), and one whose learner has given
    /// no sign of life for `lease` seconds is marked failed first.
    package func beginAdapterVersion(
        baseModel: String, startingAdapter: String?, demonstrationIDs: [Int64], ratingIDs: [Int64],
        folder: @escaping @Sendable (Int64) -> String, now: Date = Date(), lease: TimeInterval = adapterTrainingLease
    ) async throws -> AdapterVersion {
        do {
            return try await database.write { transaction in
                try await transaction.execute("""
                    UPDATE adapterVersion SET status = 'failed', failure = ?, finishedAt = ?
                    WHERE status = 'training' AND COALESCE(heartbeatAt, createdAt) < ?
                    """, .text("abandoned: its learner gave no sign of life for \(Int(lease)) seconds (stopped or killed while training)"),
                    .date(now), .date(now.addingTimeInterval(-lease)))
                if let running = try await Self.trainingVersionID(transaction) { throw AdapterVersionError.alreadyTraining(running) }
                let id = try await transaction.inserted("""
                    INSERT INTO adapterVersion (folder, baseModel, startingAdapter, status, isActive, createdAt, heartbeatAt)
                    VALUES ('', ?, ?, 'training', ?, ?, ?) RETURNING id
                    """, .text(baseModel), .nullable(startingAdapter), .bool(false), .date(now), .date(now)).first(Int64.self)
                try await transaction.execute("UPDATE adapterVersion SET folder = ? WHERE id = ?", .text(folder(id)), .integer(id))
                try await Self.link(transaction, version: id, table: "adapterVersionDemonstration", column: "demonstrationID", ids: demonstrationIDs)
                try await Self.link(transaction, version: id, table: "adapterVersionRating", column: "ratingID", ids: ratingIDs)
                return try await Self.adapterVersion(transaction, id, expected: .training)
            }
        } catch let error as AdapterVersionError {
            throw error
        } catch {
            // Two learners beginning at once: the unique index lets one insert, and the other lands here.
            if let running = try? await database.read({ transaction in try await Self.trainingVersionID(transaction) }) {
                throw AdapterVersionError.alreadyTraining(running)
            }
            throw error
        }
    }

    /// The version a live learner is training (its lease not run out at `now`), if any: what
    /// `beginAdapterVersion` would refuse to start beside, read without starting anything.
    package func liveTrainingAdapterVersion(now: Date = Date(), lease: TimeInterval = adapterTrainingLease) async throws -> Int64? {
        try await database.read { transaction in
            try await transaction.row(
                "SELECT id FROM adapterVersion WHERE status = 'training' AND COALESCE(heartbeatAt, createdAt) >= ?", .date(now.addingTimeInterval(-lease))
            ).map { try $0.first(Int64.self) }
        }
    }

    /// The learner of training version `id` is alive: its lease starts again from `now`.
    package func renewAdapterVersion(_ id: Int64, now: Date = Date()) async throws {
        try await database.write { transaction in
            _ = try await Self.adapterVersion(transaction, id, expected: .training)
            try await transaction.execute("UPDATE adapterVersion SET heartbeatAt = ? WHERE id = ?", .date(now), .integer(id))
        }
    }

    private static func trainingVersionID(_ transaction: any SQLTransaction) async throws -> Int64? {
        try await transaction.row("SELECT id FROM adapterVersion WHERE status = 'training'").map { try $0.first(Int64.self) }
    }

    private static func link(_ transaction: any SQLTransaction, version: Int64, table: String, column: String, ids: [Int64]) async throws {
        for id in Set(ids).sorted() {
            try await transaction.execute("INSERT INTO \(table) (versionID, \(column)) VALUES (?, ?)", .integer(version), .integer(id))
        }
    }

    /// Whether a finished version becomes the active one.
    package enum Activation: Sendable, Equatable {
        case never
        case always
        /// Only while the active version is still this one (nil: none) as when training began,
        /// and is the newest ready version (nil: there is none): an administrator who rolled
        /// back, or switched in the meantime, decides when learned versions serve again, since
        /// the next version learns from the same corrections as the one rolled back from.
        case unlessChangedFrom(Int64?)
    }

    /// Marks a training version ready with its metrics, and active as `activation` says.
    package func finishAdapterVersion(_ id: Int64, metrics: [String: Double], activation: Activation, now: Date = Date()) async throws -> AdapterVersion {
        try await activating { transaction in
            _ = try await Self.adapterVersion(transaction, id, expected: .training)
            try await transaction.execute(
                "UPDATE adapterVersion SET status = 'ready', metrics = ?, finishedAt = ? WHERE id = ?", try .json(metrics), .date(now), .integer(id))
            switch activation {
            case .never: break
            case .always: try await Self.activate(transaction, id)
            case let .unlessChangedFrom(expected):
                let active = try await transaction.row("SELECT id FROM adapterVersion WHERE isActive").map { try $0.first(Int64.self) }
                let newest = try await transaction.row(
                    "SELECT MAX(id) FROM adapterVersion WHERE status = 'ready' AND id <> ?", .integer(id)
                ).flatMap { try $0.first(Int64?.self) }
                if active == expected, active == newest { try await Self.activate(transaction, id) }
            }
            return try await Self.adapterVersion(transaction, id, expected: .ready)
        }
    }

    /// Marks a training version failed, keeping the reason.
    package func failAdapterVersion(_ id: Int64, reason: String, now: Date = Date()) async throws {
        try await database.write { transaction in
            _ = try await Self.adapterVersion(transaction, id, expected: .training)
            try await transaction.execute(
                "UPDATE adapterVersion SET status = 'failed', failure = ?, finishedAt = ? WHERE id = ?", .text(reason), .date(now), .integer(id))
        }
    }

    /// Makes a ready version the one the chat answers with (rolling back is activating an older one).
    package func activateAdapterVersion(_ id: Int64) async throws -> AdapterVersion {
        try await activating { transaction in
            _ = try await Self.adapterVersion(transaction, id, expected: .ready)
            try await Self.activate(transaction, id)
            return try await Self.adapterVersion(transaction, id, expected: .ready)
        }
    }

    /// Makes no version active: the chat answers with the model it was started with.
    package func deactivateAdapterVersions() async throws {
        try await database.write { transaction in
            try await transaction.execute("UPDATE adapterVersion SET isActive = ? WHERE isActive", .bool(false))
        }
    }

    /// Every version, newest first.
    package func adapterVersions() async throws -> [AdapterVersion] {
        try await database.read { transaction in
            try await transaction.rows("SELECT \(AdapterVersion.columns()) FROM adapterVersion ORDER BY id DESC").map(AdapterVersion.init(row:))
        }
    }

    /// Every version with how many corrections and ratings it learned from, newest first.
    package func adapterVersionSummaries() async throws -> [AdapterVersionSummary] {
        try await database.read { transaction in
            try await transaction.rows("""
                SELECT \(AdapterVersion.columns("v")),
                  (SELECT COUNT(*) FROM adapterVersionDemonstration l WHERE l.versionID = v.id) AS corrections,
                  (SELECT COUNT(*) FROM adapterVersionRating l WHERE l.versionID = v.id) AS ratings
                FROM adapterVersion v ORDER BY v.id DESC
                """).map { row in
                AdapterVersionSummary(version: try AdapterVersion(row: row), corrections: try row["corrections"], ratings: try row["ratings"])
            }
        }
    }

    /// The version the chat answers with, if any.
    package func activeAdapterVersion() async throws -> AdapterVersion? {
        try await database.read { transaction in
            try await transaction.row("SELECT \(AdapterVersion.columns()) FROM adapterVersion WHERE isActive").map(AdapterVersion.init(row:))
        }
    }

    /// The corrections a version learned from, by demonstration id.
    package func demonstrationIDs(learnedBy id: Int64) async throws -> [Int64] {
        try await database.read { transaction in
            try await transaction.rows(
                "SELECT demonstrationID FROM adapterVersionDemonstration WHERE versionID = ? ORDER BY demonstrationID", .integer(id)
            ).map { try $0.first(Int64.self) }
        }
    }

    /// The ratings whose answers gave a version preference pairs.
    package func ratingIDs(learnedBy id: Int64) async throws -> [Int64] {
        try await database.read { transaction in
            try await transaction.rows("SELECT ratingID FROM adapterVersionRating WHERE versionID = ? ORDER BY ratingID", .integer(id))
                .map { try $0.first(Int64.self) }
        }
    }

    private static func adapterVersion(_ transaction: any SQLTransaction, _ id: Int64, expected: AdapterVersionStatus) async throws -> AdapterVersion {
        guard let row = try await transaction.row("SELECT \(AdapterVersion.columns()) FROM adapterVersion WHERE id = ?", .integer(id)) else {
            throw AdapterVersionError.notFound(id)
        }
        let version = try AdapterVersion(row: row)
        guard version.status == expected else { throw AdapterVersionError.wrongStatus(id: id, status: version.status, expected: expected) }
        return version
    }

    /// Runs a write that may activate a version, again when a concurrent activation won the race
    /// for the one-active index. Under READ COMMITTED both cleared the mark they saw, and the
    /// loser's set then collides with the winner's (PostgreSQL's 23505); run again, it reads the
    /// winner's commit, and decides afresh. SQLite runs one writer at a time and never collides.
    private func activating<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await database.write(body)
            } catch FeedbackDatabaseError.statementFailed(let state, _, let statement)
                where state == "23505" && statement.contains("SET isActive") && attempt < 8 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...5) * attempt))
                attempt += 1
            }
        }
    }

    /// Two statements, the old mark cleared first: the unique index allows one active row at any moment.
    private static func activate(_ transaction: any SQLTransaction, _ id: Int64) async throws {
        try await transaction.execute("UPDATE adapterVersion SET isActive = ? WHERE isActive AND id <> ?", .bool(false), .integer(id))
        try await transaction.execute("UPDATE adapterVersion SET isActive = ? WHERE id = ?", .bool(true), .integer(id))
    }
}
