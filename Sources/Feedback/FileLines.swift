// The line shape of the ranking files the feedback store exports; the imported shapes are in
// FeedbackFormats.

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
