// The records of learning from people: the corrections and rated answers an adapter learns
// from, and the adapter versions learned, each with its folder, base, sources and metrics.

import Foundation

/// A correction as learning reads it: the conversation, the answer it replaces, the person's text.
package struct CorrectionRecord: Codable, Sendable, Equatable {
    /// The demonstration row.
    package var demonstrationID: Int64
    /// The conversation up to the corrected answer, ending with the user's message.
    package var conversation: [ChatMessage]
    /// The person's answer.
    package var text: String
    /// The model's answer it corrects.
    package var correctedCompletionID: Int64
    /// That answer's text (untrusted model output).
    package var correctedText: String
    /// Who wrote the correction.
    package var annotator: String
}

/// A thumbs-up or thumbs-down on a model's answer, with the conversation it answered.
package struct RatedAnswerRecord: Codable, Sendable, Equatable {
    /// The rating row.
    package var ratingID: Int64
    /// The answer rated.
    package var completionID: Int64
    /// The conversation it answered, ending with the user's message.
    package var conversation: [ChatMessage]
    /// The answer's text.
    package var text: String
    /// Thumbs up (true) or down (false).
    package var isGood: Bool
}

/// Everything the store holds that an adapter can learn from, oldest first.
package struct LearningMaterial: Codable, Sendable, Equatable {
    /// Every correction of a chat answer (the labeling page's written answers correct no
    /// single answer: they are exported as demonstrations instead).
    package var corrections: [CorrectionRecord]
    /// Every rated answer.
    package var ratedAnswers: [RatedAnswerRecord]
}

/// Where an adapter version is in its life.
package enum AdapterVersionStatus: String, Codable, Sendable {
    /// Being trained; its folder is not complete.
    case training
    /// Trained and written: it can serve the chat.
    case ready
    /// Training stopped with an error (kept, with the reason, for the record).
    case failed
}

/// One adapter learned from the store: its folder, what it started from, how training went.
package struct AdapterVersion: Codable, Sendable, Equatable, Identifiable {
    /// Row id, the version number.
    package var id: Int64
    /// The PEFT adapter folder (adapter_config.json, adapter_model.safetensors, provenance.json).
    package var folder: String
    /// The base model it adapts (a GGUF file or a model folder).
    package var baseModel: String
    /// The adapter training started from, if not fresh adapters.
    package var startingAdapter: String?
    /// Training, ready or failed.
    package var status: AdapterVersionStatus
    /// Training's final statistics by name (losses, DPO rewards, corrections reproduced, drift).
    package var metrics: [String: Double]?
    /// Why training failed.
    package var failure: String?
    /// Whether this version answers in the chat; at most one does.
    package var isActive: Bool
    /// When training started.
    package var createdAt: Date
    /// When training ended.
    package var finishedAt: Date?
}

/// A version with the number of rows it learned from, for the admin page.
package struct AdapterVersionSummary: Codable, Sendable, Equatable {
    package var version: AdapterVersion
    /// Corrections it learned from.
    package var corrections: Int
    /// Ratings that gave it preference pairs.
    package var ratings: Int
}

/// Why an adapter-version request cannot be carried out.
package enum AdapterVersionError: Error, Equatable, CustomStringConvertible {
    /// No version with this number.
    case notFound(Int64)
    /// The version is not in the state the request needs (only a training version finishes or
    /// fails; only a ready one is activated).
    case wrongStatus(id: Int64, status: AdapterVersionStatus, expected: AdapterVersionStatus)
    /// Another version is training; versions train one at a time.
    case alreadyTraining(Int64)

    package var description: String {
        switch self {
        case .notFound(let id): "adapter version \(id) does not exist"
        case .wrongStatus(let id, let status, let expected): "adapter version \(id) is \(status.rawValue), not \(expected.rawValue)"
        case .alreadyTraining(let id):
            "adapter version \(id) is training: versions train one at a time (a learner that stops giving signs of life for \(Int(FeedbackStore.adapterTrainingLease)) seconds is counted as abandoned)"
        }
    }
}

extension AdapterVersion: StoredRecord {
    static let columnNames = ["id", "folder", "baseModel", "startingAdapter", "status", "metrics", "failure", "isActive", "createdAt", "finishedAt"]

    init(row: SQLRow) throws {
        self.init(
            id: try row["id"], folder: try row["folder"], baseModel: try row["baseModel"], startingAdapter: try row["startingAdapter"],
            status: try row.enumeration(AdapterVersionStatus.self, "status"), metrics: try row.json([String: Double].self, "metrics"),
            failure: try row["failure"], isActive: try row["isActive"], createdAt: try row["createdAt"], finishedAt: try row["finishedAt"])
    }
}
