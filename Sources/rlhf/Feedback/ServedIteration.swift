// The iterate loop behind the admin page (`rlhf serve --iterate DIR`): each start runs one more
// round of `rlhf iterate` in the background, with the people on this server's labeling page as
// its annotators, and keeps what the round is doing for the page to show.
import FeedbackServer
import Foundation
import Pipeline

actor ServedIteration: IterationControl {
    /// Where a round of `rlhf iterate` reads and writes, and how it runs.
    struct Setup: Sendable {
        var folder: URL
        var configuration: OnlineRLHFConfiguration
        var dataFolder: URL
        var start: URL
        var base: URL?
        /// The store the server labels into (a SQLite path or a PostgreSQL URL).
        var store: String
        var pollInterval: Double
    }

    private let setup: Setup
    private let progress = RoundProgress()
    private let log: @Sendable (String) -> Void
    private var running: (round: Int, task: Task<Void, Never>)?
    private var ended = "No round has run in this server yet."

    init(setup: Setup, log: @escaping @Sendable (String) -> Void) {
        self.setup = setup
        self.log = log
    }

    func status() async throws -> IterationStatus {
        let rounds = OnlineRLHF.finishedRounds(in: setup.folder).map {
            IterationStatus.Round(round: $0.round, judgeScore: $0.judgeScore, labels: $0.labels, rewardAccuracy: $0.rewardAccuracy, seconds: $0.seconds)
        }
        let arena = OnlineRLHF.arenaStandings(in: setup.folder).map {
            IterationStatus.Entrant(model: $0.model, rating: $0.rating, lower: $0.lower, upper: $0.upper)
        }
        let state = running.map { "Round \($0.round) is running: \(progress.current)" } ?? ended
        return IterationStatus(isRunning: running != nil, state: state, rounds: rounds, arena: arena)
    }

    func startRound() async throws -> IterationStatus {
        if let running { throw IterationControlError.roundRunning(running.round) }
        let round = OnlineRLHF.finishedRounds(in: setup.folder).count + 1
        let (setup, progress, log) = (setup, progress, log)
        progress.record(.stageStarted(index: 0, count: 1, name: "starting"))
        let task = Task.detached(priority: .background) { [weak self] in
            let began = Date()
            do {
                let loop = try OnlineRLHF(
                    configuration: setup.configuration, folder: setup.folder, dataFolder: setup.dataFolder, start: setup.start, base: setup.base,
                    labels: .people(location: setup.store, pollInterval: setup.pollInterval)
                ) { event in
                    progress.record(event)
                    if case .note(let line) = event { log("iterate: \(line)") }
                }
                _ = try await loop.run(rounds: round)
                await self?.roundEnded(String(format: "Round %d finished in %.0f s; the arena below includes it.", round, Date().timeIntervalSince(began)))
            } catch {
                log("iterate round \(round) failed: \(error)")
                await self?.roundEnded("Round \(round) failed: \(error)")
            }
        }
        running = (round, task)
        return try await status()
    }

    /// Waits for the running round, if any (for shutdown).
    func waitForRound() async {
        await running?.task.value
    }

    private func roundEnded(_ message: String) {
        running = nil
        ended = message
    }
}

/// The running round's stage and latest note. The loop reports from its own task through a
/// synchronous callback, so this is a locked box rather than actor state.
final class RoundProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stage = "", note = ""

    var current: String {
        lock.withLock { note.isEmpty ? stage : stage.isEmpty ? note : "\(stage) (\(note))" }
    }

    func record(_ event: DemoEvent) {
        lock.withLock {
            switch event {
            case .stageStarted(_, _, let name): (stage, note) = (name, "")
            case .note(let line): note = line
            default: break
            }
        }
    }
}
