// Options shared by the feedback subcommands.

import ArgumentParser
import Feedback

/// The feedback database every feedback subcommand works on.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: "The feedback database: a SQLite file (created if missing) or postgres://user[:password]@host[:port]/database.")
    var location = "data/feedback.sqlite"

    /// Opens (and migrates) the database.
    func openStore() async throws -> FeedbackStore {
        try await FeedbackStore(opening: location)
    }

    /// The location for messages: a PostgreSQL URL's password is masked.
    var displayName: String {
        (try? FeedbackLocation(parsing: location).description) ?? location
    }
}
