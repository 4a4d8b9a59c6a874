// The line shapes of the files the feedback store imports: task files and TRL preference files.

/// A line of TRL's preference format: `{"prompt": ..., "chosen": ..., "rejected": ...}`, with
/// the optional `"annotator"` the store's export adds (and the reward model's reader reads).
/// Other keys on the line are ignored.
package struct PreferenceLine: Codable, Sendable, Equatable {
    /// The prompt (TRL's standard, not conversational, format).
    package var prompt: String
    /// The preferred answer.
    package var chosen: String
    /// The dispreferred answer.
    package var rejected: String
    /// Who preferred it; absent (not written) when unknown.
    package var annotator: String?

    /// Creates a line.
    package init(prompt: String, chosen: String, rejected: String, annotator: String? = nil) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.annotator = annotator
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

/// How a completion was sampled.
package struct SamplingParameters: Codable, Sendable, Equatable, Hashable {
    /// Softmax temperature (1 = the model's distribution).
    package var temperature: Double?
    /// Keep only the k most likely tokens.
    package var topK: Int?
    /// Keep the smallest set of tokens with this much probability mass.
    package var topP: Double?
    /// Most tokens generated.
    package var maxNewTokens: Int?

    /// Creates sampling parameters; nil means "not recorded".
    package init(temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, maxNewTokens: Int? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxNewTokens = maxNewTokens
    }
}
