// The records for who works on the feedback: annotators and their signed-in sessions.

import Foundation
import GRDB

/// What an annotator may do.
package enum AnnotatorRole: String, Codable, Sendable, CaseIterable {
    /// Labels tasks, chats, corrects answers.
    case annotator
    /// Also creates annotators and loads tasks.
    case admin
}

/// A person (or simulated person) who judges completions. The sign-in token is never stored,
/// only its SHA-256 digest.
package struct Annotator: Codable, Sendable, Equatable, Identifiable, FetchableRecord, MutablePersistableRecord {
    package static let databaseTableName = "annotator"
    /// Row id; nil before insertion.
    package var id: Int64?
    /// Unique display and login name.
    package var name: String
    /// Lower-case hex SHA-256 of the sign-in token.
    package var tokenHash: String
    /// What the annotator may do.
    package var role: AnnotatorRole
    /// When the annotator was created.
    package var createdAt: Date

    /// Creates an annotator record (not yet inserted).
    package init(id: Int64? = nil, name: String, tokenHash: String, role: AnnotatorRole, createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.tokenHash = tokenHash
        self.role = role
        self.createdAt = createdAt
    }

    package mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A browser session: the cookie carries a random token, the table only its digest.
package struct AnnotatorSession: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "annotatorSession"
    /// Lower-case hex SHA-256 of the session token (the primary key).
    package var tokenHash: String
    /// Whose session it is.
    package var annotatorID: Int64
    /// When it was opened.
    package var createdAt: Date
    /// After this moment the session no longer signs anyone in.
    package var expiresAt: Date
}
