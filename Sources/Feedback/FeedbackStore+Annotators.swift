// Creating annotators and checking their tokens (browser sessions: FeedbackStore+Sessions).

import Foundation

extension Annotator {
    /// Characters a name may hold.
    static let nameLimit = 100
}

extension FeedbackStore {
    /// Creates an annotator and returns it with its sign-in token, which is not stored and
    /// cannot be recovered later.
    package func createAnnotator(name: String, role: AnnotatorRole) async throws -> (annotator: Annotator, token: String) {
        let name = try validatedText(name, field: "name", limit: Annotator.nameLimit, required: true)!
        let token = TokenDigest.newToken()
        let annotator = try await database.write { transaction in
            // One statement, so two servers creating the same name cannot both succeed.
            guard let created = try await Self.insertAnnotator(transaction, name: name, tokenHash: TokenDigest.digest(token), role: role) else {
                throw FeedbackError.annotatorExists(name)
            }
            return created
        }
        return (annotator, token)
    }

    /// The annotator named `name`, created with an unknowable token if absent: for importers and
    /// simulated annotators that act through the store but never sign in to the web page.
    package func annotator(named name: String, creatingWithRole role: AnnotatorRole = .annotator) async throws -> Annotator {
        try await database.write { transaction in try await Self.findOrInsertAnnotator(transaction, name: name, role: role) }
    }

    /// `annotator(named:)` inside an open transaction (an import's, so that a refused file
    /// leaves no annotator behind either); `field` names the name in errors.
    static func findOrInsertAnnotator(
        _ transaction: any SQLTransaction, name: String, role: AnnotatorRole = .annotator, field: String = "name"
    ) async throws -> Annotator {
        let name = try validatedText(name, field: field, limit: Annotator.nameLimit, required: true)!
        let digest = TokenDigest.digest(TokenDigest.newToken())
        if let created = try await insertAnnotator(transaction, name: name, tokenHash: digest, role: role) { return created }
        // Someone else created it first; once their transaction is committed it is visible here.
        guard let existing = try await transaction.row("SELECT \(Annotator.columns()) FROM annotator WHERE name = ?", .text(name)) else {
            throw FeedbackError.annotatorNotFound(name)
        }
        return try Annotator(row: existing)
    }

    /// Inserts an annotator unless the name is taken (then nil).
    private static func insertAnnotator(
        _ transaction: any SQLTransaction, name: String, tokenHash: String, role: AnnotatorRole
    ) async throws -> Annotator? {
        try await transaction.row("""
            INSERT INTO annotator (name, tokenHash, role, createdAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (name) DO NOTHING RETURNING \(Annotator.columns())
            """, .text(name), .text(tokenHash), .text(role.rawValue), .date(Date())).map(Annotator.init(row:))
    }

    /// Every annotator, by name.
    package func annotators() async throws -> [Annotator] {
        try await database.read { transaction in
            try await transaction.rows("SELECT \(Annotator.columns()) FROM annotator ORDER BY name").map(Annotator.init(row:))
        }
    }

    /// The annotator whose sign-in token this is, if any.
    package func annotator(forToken token: String) async throws -> Annotator? {
        let digest = TokenDigest.digest(token)
        return try await database.read { transaction in
            try await transaction.row("SELECT \(Annotator.columns()) FROM annotator WHERE tokenHash = ?", .text(digest))
                .map(Annotator.init(row:))
        }
    }
}
