// What the loop owes a store that people share: the queue's policy it borrows for a round or an
// arena goes back to what it was, and an arena that a stopped run left half-labelled stops taking
// people's judgments once a later run holds its own.
import AtomicFiles
import Feedback
import Foundation

extension OnlineRLHF {
    /// Where the policy the loop found in a people store waits while the loop's own is in force:
    /// a loop killed meanwhile gives it back at its next run instead of taking its own for it.
    var borrowedSelectionURL: URL { url("store-selection.json") }

    /// Before a people run: gives back a policy a killed run borrowed, and closes the open tasks
    /// of this folder's arenas other than the one this run ends with. An arena ranks every round
    /// up to its own, so this run's arena supersedes one that a stopped run left unfinished.
    func tidySharedStore(_ store: FeedbackStore, rounds: Int) async throws {
        if let borrowed = try? JSONDecoder().decode(TaskSelection.self, from: Data(contentsOf: borrowedSelectionURL)) {
            try await store.setTaskSelection(borrowed)
            try FileManager.default.removeItem(at: borrowedSelectionURL)
            events(.note("gave the store back the task selection a stopped run had borrowed"))
        }
        for batch in try await store.openBatches(named: arenaBatchPrefix) where batch != arenaBatchName(rounds: rounds) {
            let closed = try await store.closeTasks(inBatch: batch)
            events(.note("closed \(closed) open tasks of the unfinished arena after round \(batch.dropFirst(arenaBatchPrefix.count)): the arena after round \(rounds) ranks every round"))
        }
    }

    /// Runs `collect` with `selection` ordering the store's queue, then gives the store back the
    /// policy it had, whether `collect` finished or threw. Simulated stores are the round's own,
    /// and keep the loop's policy.
    func collecting<Result>(on store: FeedbackStore, by selection: TaskSelection, _ collect: () async throws -> Result) async throws -> Result {
        guard case .people = labels else {
            try await store.setTaskSelection(selection)
            return try await collect()
        }
        if !FileManager.default.fileExists(atPath: borrowedSelectionURL.path) {
            try AtomicFile.write(try JSONEncoder.pretty.encode(try await store.taskSelection()), to: borrowedSelectionURL)
        }
        let borrowed = try JSONDecoder().decode(TaskSelection.self, from: Data(contentsOf: borrowedSelectionURL))
        try await store.setTaskSelection(selection)
        let result: Result
        do {
            result = try await collect()
        } catch {
            // The record goes only with the policy back in place: when the store is what failed,
            // the next run gives it back.
            if (try? await store.setTaskSelection(borrowed)) != nil { try? FileManager.default.removeItem(at: borrowedSelectionURL) }
            throw error
        }
        try await store.setTaskSelection(borrowed)
        try FileManager.default.removeItem(at: borrowedSelectionURL)
        return result
    }
}
