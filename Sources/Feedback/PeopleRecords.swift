// The records for who works on the feedback: annotators and their signed-in sessions.

import Foundation

/// What an annotator may do.
package enum AnnotatorRole: String, Codable, Sendable, CaseIterable {
    /// Labels tasks, chats, corrects answers.
    case annotator
    /// Also creates annotators and loads tasks.
    case admin
}

/// A person (or simulated person) who judges completions. The sign-in token is never stored,
/// only its SHA-256 digest.
package struct Annotator: Codable, Sendable, Equatable, Identifiable {
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
}
