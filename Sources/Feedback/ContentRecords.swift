// The records for what gets judged: prompts, model completions with provenance, comparison tasks.

import FeedbackFormats
import Foundation

/// One message of a chat conversation.
package struct ChatMessage: Codable, Sendable, Equatable, Hashable {
    /// Who spoke.
    package enum Role: String, Codable, Sendable {
        case system, user, assistant
    }

    /// Who spoke.
    package var role: Role
    /// What was said.
    package var content: String

    /// Creates a message.
    package init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// A prompt shown to the model. Plain prompts are unique by text; a chat prompt also keeps the
/// structured conversation it was rendered from.
package struct Prompt: Codable, Sendable, Equatable, Identifiable {
    /// Row id; nil before insertion.
    package var id: Int64?
    /// The prompt text (for a chat, the conversation rendered as a transcript).
    package var text: String
    /// The conversation a chat prompt came from; nil for plain prompts.
    package var messages: [ChatMessage]?
    /// When the prompt was first stored.
    package var createdAt: Date

    /// Creates a prompt record (not yet inserted).
    package init(id: Int64? = nil, text: String, messages: [ChatMessage]? = nil, createdAt: Date = Date()) {
        self.id = id
        self.text = text
        self.messages = messages
        self.createdAt = createdAt
    }
}

/// Where a completion came from: enough to regenerate it.
package struct Provenance: Codable, Sendable, Equatable, Hashable {
    /// The model's name; ratings are per model name, so name checkpoints apart to rate them apart.
    package var model: String
    /// The checkpoint (directory, step or digest) the model was loaded from.
    package var checkpoint: String?
    /// The sampling settings.
    package var sampling: SamplingParameters?
    /// The sampling seed.
    package var seed: UInt64?

    /// Creates a provenance.
    package init(model: String, checkpoint: String? = nil, sampling: SamplingParameters? = nil, seed: UInt64? = nil) {
        self.model = model
        self.checkpoint = checkpoint
        self.sampling = sampling
        self.seed = seed
    }
}

/// A model's answer to a prompt, with its provenance.
package struct Completion: Codable, Sendable, Equatable, Identifiable {
    /// Row id; nil before insertion.
    package var id: Int64?
    /// The prompt answered.
    package var promptID: Int64
    /// The answer (untrusted model output: escape wherever it is shown).
    package var text: String
    /// The model's name.
    package var model: String
    /// The checkpoint it was loaded from.
    package var checkpoint: String?
    /// The sampling settings.
    package var sampling: SamplingParameters?
    /// The sampling seed, stored as a signed 64-bit bit pattern (neither SQLite nor PostgreSQL has unsigned integers).
    package var seed: Int64?
    /// For chat replies: the annotator who asked, the only one who may rate or correct it.
    package var requestedByAnnotatorID: Int64?
    /// When it was generated (or imported).
    package var createdAt: Date

    /// Creates a completion record (not yet inserted).
    package init(
        id: Int64? = nil, promptID: Int64, text: String, provenance: Provenance,
        requestedByAnnotatorID: Int64? = nil, createdAt: Date = Date()
    ) {
        self.id = id
        self.promptID = promptID
        self.text = text
        model = provenance.model
        checkpoint = provenance.checkpoint
        sampling = provenance.sampling
        seed = provenance.seed.map { Int64(bitPattern: $0) }
        self.requestedByAnnotatorID = requestedByAnnotatorID
        self.createdAt = createdAt
    }

    /// The provenance as given at creation.
    package var provenance: Provenance {
        Provenance(model: model, checkpoint: checkpoint, sampling: sampling, seed: seed.map { UInt64(bitPattern: $0) })
    }
}

/// A comparison task: one prompt and 2 to K completions to rank.
package struct ComparisonTask: Codable, Sendable, Equatable, Identifiable {
    /// Row id; nil before insertion.
    package var id: Int64?
    /// The prompt every completion answers.
    package var promptID: Int64
    /// When the task was loaded.
    package var createdAt: Date
}
