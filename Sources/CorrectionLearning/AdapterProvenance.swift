// provenance.json, beside the PEFT files of every adapter version: what it was learned from,
// on which base, when, with which settings, and how training went, readable without the store.
import AtomicFiles
import Checkpoints
import Feedback
import Foundation

package struct AdapterProvenance: Codable, Sendable, Equatable {
    /// One corrected conversation after training: did the greedy answer become the correction?
    package struct TaughtAnswer: Codable, Sendable, Equatable {
        /// The conversation's last user message.
        package var prompt: String
        /// The correction taught.
        package var correction: String
        /// The learned model's greedy answer.
        package var greedyAnswer: String
        package var reproduced: Bool
    }

    /// The version number, as the store numbers it.
    package var version: Int64
    /// The base model's file or folder.
    package var baseModel: String
    /// The adapter training started from, or nil for fresh adapters.
    package var startingAdapter: String?
    /// The feedback store learned from.
    package var store: String
    package var startedAt: Date
    package var finishedAt: Date
    /// The corrections, as they read when training started.
    package var corrections: [CorrectionRecord]
    /// The ratings that gave preference pairs.
    package var ratingIDs: [Int64]
    /// How many preference pairs DPO trained on (0: the DPO stage was skipped).
    package var pairs: Int
    package var configuration: LearningConfiguration
    /// The stages' final statistics, as the store records them.
    package var metrics: [String: Double]
    package var taught: [TaughtAnswer]
    /// How far the round moved the model on held-out prompts unrelated to the corrections.
    package var drift: [HeldOutDrift]

    package static let fileName = "provenance.json"

    /// Writes the file into `folder`, atomically.
    package func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        try AtomicFile.write(data, to: folder.appendingPathComponent(Self.fileName))
    }

    /// Reads the file in `folder`.
    package static func read(from folder: URL) throws -> AdapterProvenance {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(AdapterProvenance.self, from: data)
        } catch {
            throw CheckpointError.malformed(path: url.path, reason: "\(error)")
        }
    }
}
