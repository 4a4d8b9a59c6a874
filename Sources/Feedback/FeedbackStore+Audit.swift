// The audit log: every change an administrator makes, with who, what, on what, and when.

import Foundation

/// One administrator's action as the audit log keeps it.
package struct AdminAuditEntry: Sendable, Equatable, Codable {
    /// The administrator's name at the time (kept if the account is later deleted).
    package var adminName: String
    /// What was done, e.g. "create annotator".
    package var action: String
    /// What it was done to, e.g. the new annotator's name.
    package var target: String
    /// When.
    package var createdAt: Date
}

extension FeedbackStore {
    /// Records that `admin` did `action` to `target`.
    package func recordAdminAction(by admin: Annotator, action: String, target: String, now: Date = Date()) async throws {
        guard let adminID = admin.id, admin.role == .admin else {
            throw FeedbackError.invalidField(name: "admin", reason: "'\(admin.name)' is not a stored administrator")
        }
        try await database.write { transaction in
            try await transaction.execute(
                "INSERT INTO adminAudit (adminID, adminName, action, target, createdAt) VALUES (?, ?, ?, ?, ?)",
                .integer(adminID), .text(admin.name), .text(action), .text(String(target.prefix(500))), .date(now))
        }
    }

    /// The latest `limit` entries of the audit log, newest first.
    package func adminAudit(limit: Int = 50) async throws -> [AdminAuditEntry] {
        try await database.read { transaction in
            try await transaction.rows(
                "SELECT adminName, action, target, createdAt FROM adminAudit ORDER BY createdAt DESC, id DESC LIMIT ?", .int(limit)
            ).map { row in
                AdminAuditEntry(adminName: try row["adminName"], action: try row["action"], target: try row["target"], createdAt: try row["createdAt"])
            }
        }
    }
}
