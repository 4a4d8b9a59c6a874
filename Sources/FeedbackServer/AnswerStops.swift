// The stop button's other end: each answer being streamed has a flag its generator reads
// between tokens, and a person can raise the flags of their own running answers (no one else's).

import Foundation

/// A flag the generator of one streamed answer checks before each token.
final class AnswerStop: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    /// Asks the answer to end after the token being written.
    func stop() {
        lock.withLock { raised = true }
    }

    /// Whether the answer was asked to end.
    var isStopped: Bool { lock.withLock { raised } }
}

/// The answers being streamed right now, by the annotator who asked for them.
final class AnswerStops: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [Int64: [ObjectIdentifier: AnswerStop]] = [:]

    /// A new flag for an answer `annotatorID` asked for.
    func start(for annotatorID: Int64) -> AnswerStop {
        let stop = AnswerStop()
        lock.withLock { running[annotatorID, default: [:]][ObjectIdentifier(stop)] = stop }
        return stop
    }

    /// Forgets a finished answer's flag.
    func finish(_ stop: AnswerStop, for annotatorID: Int64) {
        lock.withLock {
            running[annotatorID]?[ObjectIdentifier(stop)] = nil
            if running[annotatorID]?.isEmpty == true { running[annotatorID] = nil }
        }
    }

    /// How many answers `annotatorID` has running.
    func count(for annotatorID: Int64) -> Int {
        lock.withLock { running[annotatorID]?.count ?? 0 }
    }

    /// Raises the flag of every answer `annotatorID` has running; returns how many.
    func stopAll(for annotatorID: Int64) -> Int {
        let stops = lock.withLock { running[annotatorID].map { Array($0.values) } ?? [] }
        stops.forEach { $0.stop() }
        return stops.count
    }
}
