// Options shared by the feedback subcommands.

import ArgumentParser
import Feedback

/// The feedback database every feedback subcommand works on.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The feedback database (SQLite, created if missing).")
    var path = "data/feedback.sqlite"

    /// Opens (and migrates) the database.
    func openStore() throws -> FeedbackStore {
        try FeedbackStore(path: path)
    }
}
