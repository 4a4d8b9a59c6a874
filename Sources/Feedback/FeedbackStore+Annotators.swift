// Creating annotators, checking their tokens, and the sessions a browser signs in with.

import Foundation
import GRDB

extension FeedbackStore {
    /// How long a browser session signs its annotator in.
    package static let sessionLifetime: TimeInterval = 7 * 24 * 3600

    /// Creates an annotator and returns it with its sign-in token, which is not stored and
    /// cannot be recovered later.
    package func createAnnotator(name: String, role: AnnotatorRole) async throws -> (annotator: Annotator, token: String) {
        let name = try validatedText(name, field: "name", limit: 100, required: true)!
        let token = TokenDigest.newToken()
        let annotator = try await database.write { db in
            guard try Annotator.filter(Column("name") == name).fetchCount(db) == 0 else {
                throw FeedbackError.annotatorExists(name)
            }
            var annotator = Annotator(name: name, tokenHash: TokenDigest.digest(token), role: role)
            try annotator.insert(db)
            return annotator
        }
        return (annotator, token)
    }

    /// The annotator named `name`, created with an unknowable token if absent: for importers and
    /// simulated annotators that act through the store but never sign in to the web page.
    package func annotator(named name: String, creatingWithRole role: AnnotatorRole = .annotator) async throws -> Annotator {
        let name = try validatedText(name, field: "name", limit: 100, required: true)!
        return try await database.write { db in
            if let existing = try Annotator.filter(Column("name") == name).fetchOne(db) { return existing }
            var annotator = Annotator(name: name, tokenHash: TokenDigest.digest(TokenDigest.newToken()), role: role)
            try annotator.insert(db)
            return annotator
        }
    }

    /// Every annotator, by name.
    package func annotators() async throws -> [Annotator] {
        try await database.read { db in try Annotator.order(Column("name")).fetchAll(db) }
    }

    /// The annotator whose sign-in token this is, if any.
    package func annotator(forToken token: String) async throws -> Annotator? {
        let digest = TokenDigest.digest(token)
        return try await database.read { db in try Annotator.filter(Column("tokenHash") == digest).fetchOne(db) }
    }

    /// Opens a session for `annotatorID` and returns its token (for an HttpOnly cookie).
    package func openSession(annotatorID: Int64, now: Date = Date()) async throws -> String {
        let token = TokenDigest.newToken()
        let session = AnnotatorSession(
            tokenHash: TokenDigest.digest(token), annotatorID: annotatorID,
            createdAt: now, expiresAt: now.addingTimeInterval(Self.sessionLifetime)
        )
        try await database.write { db in
            try AnnotatorSession.filter(Column("expiresAt") < now).deleteAll(db)
            try session.insert(db)
        }
        return token
    }

    /// The annotator a session token signs in, if the session exists and has not expired.
    package func annotator(forSession token: String, now: Date = Date()) async throws -> Annotator? {
        let digest = TokenDigest.digest(token)
        return try await database.read { db in
            guard let session = try AnnotatorSession.fetchOne(db, key: digest), session.expiresAt > now else { return nil }
            return try Annotator.fetchOne(db, key: session.annotatorID)
        }
    }

    /// Ends a session; unknown tokens are ignored.
    package func closeSession(_ token: String) async throws {
        let digest = TokenDigest.digest(token)
        _ = try await database.write { db in try AnnotatorSession.deleteOne(db, key: digest) }
    }
}
