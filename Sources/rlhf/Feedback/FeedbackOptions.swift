// Options shared by the feedback subcommands.

import ArgumentParser
import Feedback
import Foundation

/// The feedback database every feedback subcommand works on.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: "The feedback database: a SQLite file (tasks import, annotators add and serve create it if missing) or postgres://user[:password]@host[:port]/database.")
    var location = "data/feedback.sqlite"

    /// Opens (and migrates) the database, creating a SQLite file that does not exist yet.
    func openStore() async throws -> FeedbackStore {
        try await FeedbackStore(opening: location)
    }

    /// Opens the database for a command that reads or adds to what is already there: a SQLite
    /// path that does not exist is an error, so a mistyped path does not become an empty store
    /// that the command reports on as if it were the real one.
    func openExistingStore() async throws -> FeedbackStore {
        if case .sqlite(let path) = try FeedbackLocation(parsing: location), !FileManager.default.fileExists(atPath: path) {
            throw FeedbackDatabaseError.invalidLocation(path, reason: "no such file (`rlhf tasks import`, `rlhf annotators add` and `rlhf serve` create one)")
        }
        return try await openStore()
    }

    /// The location for messages: a PostgreSQL URL's password is masked.
    var displayName: String {
        (try? FeedbackLocation(parsing: location).description) ?? location
    }
}
