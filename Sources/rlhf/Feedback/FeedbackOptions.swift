// Options shared by the commands that read the feedback store.

import ArgumentParser
import Feedback
import FeedbackComparisons
import RewardModeling
import TrainingRuns

/// The feedback database every feedback subcommand works on.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: "The feedback database: a SQLite file (tasks import, tasks select, annotators add and serve create it if missing) or postgres://user[:password]@host[:port]/database.")
    var location = "data/feedback.sqlite"

    /// Opens (and migrates) the database, creating a SQLite file that does not exist yet.
    func openStore() async throws -> FeedbackStore {
        try await FeedbackStore(opening: location)
    }

    /// Opens the database for a command that reads or adds to what is already there.
    func openExistingStore() async throws -> FeedbackStore {
        try await FeedbackStore(openingExisting: location)
    }

    /// The location for messages: a PostgreSQL URL's password is masked.
    var displayName: String {
        (try? FeedbackLocation(parsing: location).description) ?? location
    }
}

/// `--db` for the commands that learn from judgments and can read them from files instead: the
/// store is optional, and read, never created.
struct JudgmentStoreOption: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("A feedback store (SQLite file or postgres:// URL) whose judgments to read.", valueName: "store"))
    var location: String?

    /// The store in a run's inputs: a file by its path, a server by its URL without the password.
    /// What the run read from it is recorded by its content.
    func record(in inputs: inout RunInputs) {
        guard let location else { return }
        switch try? FeedbackLocation(parsing: location) {
        case .sqlite(let path)?: inputs.recordPath("--db", path)
        case let server?: inputs.record("--db", server.description)
        case nil: inputs.record("--db", location)
        }
    }

    /// The store's judgments as comparisons; none without --db.
    func comparisons() async throws -> [Comparison] {
        guard let location else { return [] }
        return try await ComparisonSource.store(at: location)
    }
}
