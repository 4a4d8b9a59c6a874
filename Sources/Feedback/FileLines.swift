// The line shapes of the files the feedback store imports and exports.

/// A line of TRL's preference format: `{"prompt": ..., "chosen": ..., "rejected": ...}`.
/// Other keys on the line are ignored.
package struct PreferenceLine: Codable, Sendable, Equatable {
    /// The prompt (TRL's standard, not conversational, format).
    package var prompt: String
    /// The preferred answer.
    package var chosen: String
    /// The dispreferred answer.
    package var rejected: String

    /// Creates a line.
    package init(prompt: String, chosen: String, rejected: String) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// A line of a task file: a prompt and the completions to compare, with their provenance.
package struct TaskLine: Codable, Sendable, Equatable {
    /// One completion of the task.
    package struct CompletionLine: Codable, Sendable, Equatable {
        /// The answer.
        package var text: String
        /// The model's name.
        package var model: String
        /// The checkpoint it was loaded from.
        package var checkpoint: String?
        /// The sampling settings.
        package var sampling: SamplingParameters?
        /// The sampling seed.
        package var seed: UInt64?

        /// Creates a completion line.
        package init(text: String, model: String, checkpoint: String? = nil, sampling: SamplingParameters? = nil, seed: UInt64? = nil) {
            self.text = text
            self.model = model
            self.checkpoint = checkpoint
            self.sampling = sampling
            self.seed = seed
        }
    }

    /// The prompt.
    package var prompt: String
    /// The completions to compare (2 or more).
    package var completions: [CompletionLine]

    /// Creates a task line.
    package init(prompt: String, completions: [CompletionLine]) {
        self.prompt = prompt
        self.completions = completions
    }
}

/// A line of a ranking export: one judgment over K completions.
package struct RankingLine: Codable, Sendable, Equatable {
    /// A completion with its tier.
    package struct RankedText: Codable, Sendable, Equatable {
        /// The answer.
        package var text: String
        /// The model that wrote it.
        package var model: String
        /// Its tier: 0 is best, equal tiers are ties.
        package var tier: Int
    }

    /// The prompt.
    package var prompt: String
    /// The completions in the task's order.
    package var completions: [RankedText]
    /// Whether every completion was marked unacceptable.
    package var bothBad: Bool
    /// Who judged.
    package var annotator: String

    /// The line for a stored comparison.
    package init(_ comparison: RankedComparison) {
        prompt = comparison.prompt
        completions = comparison.completions.map { RankedText(text: $0.text, model: $0.model, tier: $0.tier) }
        bothBad = comparison.bothBad
        annotator = comparison.annotator
    }
}
