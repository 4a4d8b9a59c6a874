// The databases store tests run on: SQLite always, PostgreSQL when a test server is named.

import Foundation
import Feedback

/// A database engine a store test runs against, each test on a fresh database of its own.
package enum StoreBackend: Sendable, CustomStringConvertible {
    /// A SQLite file in a fresh temporary directory (WAL needs a file).
    case sqlite
    /// A new database on the PostgreSQL server `RLHF_TEST_POSTGRES_URL` names.
    case postgres(url: String)

    /// The variable naming the test server, e.g. `postgres://rlhf@127.0.0.1:5432/rlhf`
    /// (`scripts/postgres.sh` starts one and prints it).
    package static let serverVariable = "RLHF_TEST_POSTGRES_URL"

    /// SQLite, and PostgreSQL when the variable is set.
    package static var all: [StoreBackend] {
        let url = ProcessInfo.processInfo.environment[serverVariable].flatMap { $0.isEmpty ? nil : $0 }
        return [.sqlite] + (url.map { [.postgres(url: $0)] } ?? [])
    }

    /// PostgreSQL alone, for races between servers: SQLite runs one writer at a time, and two
    /// connections to one file wait on each other's whole transaction, which a test process whose
    /// threads are all busy can stretch past any timeout.
    package static var servers: [StoreBackend] {
        all.filter { if case .postgres = $0 { true } else { false } }
    }

    package var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// A fresh, migrated store.
    package func makeStore() async throws -> FeedbackStore {
        try await FeedbackStore(location: try makeLocation())
    }

    /// A fresh location that stores can open (several at once, as several servers would).
    package func makeLocation() async throws -> FeedbackLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: try temporaryDirectory().appendingPathComponent("feedback.sqlite").path)
        case .postgres(let url):
            guard case .postgres(let server) = try FeedbackLocation(parsing: url) else {
                throw FeedbackDatabaseError.invalidLocation(url, reason: "\(Self.serverVariable) must be a postgres:// URL")
            }
            let name = "rlhf_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await PostgresFeedbackDatabase.createDatabase(named: name, on: server)
            return .postgres(server.database(name))
        }
    }
}

/// A fresh directory under the system's temporary directory.
package func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
