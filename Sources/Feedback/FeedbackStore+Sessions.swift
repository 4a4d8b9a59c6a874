// The sessions a browser signs in with: opened by a token sign-in, ended by signing out, by
// staying idle too long, or by reaching their absolute lifetime.

import Foundation

/// How long a browser session lasts.
package struct SessionLifetimes: Sendable, Equatable {
    /// A session unused for this long is over.
    package var idle: TimeInterval
    /// A session is over this long after sign-in, however busy.
    package var absolute: TimeInterval

    /// Two idle hours, one working day at most: a forgotten browser on a shared machine stops
    /// speaking for its annotator soon, and nobody signs in more than once a day.
    package static let standard = SessionLifetimes(idle: 2 * 3600, absolute: 12 * 3600)

    package init(idle: TimeInterval, absolute: TimeInterval) {
        self.idle = idle
        self.absolute = absolute
    }
}

extension FeedbackStore {
    /// Opens a session for `annotatorID` and returns its token (for an HttpOnly cookie). Sessions
    /// past either lifetime are swept at the same time, so abandoned ones do not pile up.
    package func openSession(annotatorID: Int64, lifetimes: SessionLifetimes = .standard, now: Date = Date()) async throws -> String {
        let token = TokenDigest.newToken()
        let digest = TokenDigest.digest(token)
        try await database.write { transaction in
            try await transaction.execute(
                "DELETE FROM annotatorSession WHERE expiresAt <= ? OR COALESCE(lastSeenAt, createdAt) <= ?",
                .date(now), .date(now.addingTimeInterval(-lifetimes.idle)))
            try await transaction.execute(
                "INSERT INTO annotatorSession (tokenHash, annotatorID, createdAt, expiresAt, lastSeenAt) VALUES (?, ?, ?, ?, ?)",
                .text(digest), .integer(annotatorID), .date(now), .date(now.addingTimeInterval(lifetimes.absolute)), .date(now))
        }
        return token
    }

    /// The annotator a session token signs in, if the session is live; using it marks it active.
    /// A session found expired (idle or past its lifetime) is deleted, so it can never come back.
    package func annotator(forSession token: String, lifetimes: SessionLifetimes = .standard, now: Date = Date()) async throws -> Annotator? {
        let digest = TokenDigest.digest(token)
        // Anyone can send a made-up cookie: only a session that exists costs a write.
        let known = try await database.read { transaction in
            try await transaction.row("SELECT 1 AS found FROM annotatorSession WHERE tokenHash = ?", .text(digest)) != nil
        }
        guard known else { return nil }
        return try await database.write { transaction in
            let live = try await transaction.row("""
                UPDATE annotatorSession SET lastSeenAt = ?
                WHERE tokenHash = ? AND expiresAt > ? AND COALESCE(lastSeenAt, createdAt) > ?
                RETURNING annotatorID
                """, .date(now), .text(digest), .date(now), .date(now.addingTimeInterval(-lifetimes.idle)))
            guard let live else {
                try await transaction.execute("DELETE FROM annotatorSession WHERE tokenHash = ?", .text(digest))
                return nil
            }
            let annotatorID: Int64 = try live["annotatorID"]
            return try await transaction.row("SELECT \(Annotator.columns()) FROM annotator WHERE id = ?", .integer(annotatorID))
                .map(Annotator.init(row:))
        }
    }

    /// Ends a session; unknown tokens are ignored.
    package func closeSession(_ token: String) async throws {
        let digest = TokenDigest.digest(token)
        try await database.write { transaction in
            try await transaction.execute("DELETE FROM annotatorSession WHERE tokenHash = ?", .text(digest))
        }
    }

    /// How many sessions are stored, live or not yet swept: tests check that expiry deletes.
    package func storedSessionCount() async throws -> Int {
        try await database.read { transaction in try await transaction.scalar(Int.self, "SELECT COUNT(*) FROM annotatorSession") ?? 0 }
    }
}
