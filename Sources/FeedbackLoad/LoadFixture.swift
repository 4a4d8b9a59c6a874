// The database the load runs against: annotators with tokens and tasks from three models.

import Feedback
import Randomness

/// Builds the benchmark's database before the server starts.
enum LoadFixture {
    private static let positive = ["good", "great", "wonderful", "moving", "funny", "clever", "superb", "charming"]
    private static let negative = ["dull", "boring", "awful", "pointless", "weak", "messy", "tedious", "bland"]
    private static let neutral = ["the", "film", "story", "cast", "plot", "scene", "director", "ending", "and", "its"]

    /// Models and the share of their sentiment words that are positive: the ratings should come out in this order.
    static let models = [("model-a", 0.65), ("model-b", 0.5), ("model-c", 0.35)]

    /// The name of the panel's annotator `index` in the store.
    static func name(ofAnnotator index: Int) -> String { "load-annotator-\(index)" }

    /// Creates `annotators` annotators (returning their tokens) and `tasks` three-way tasks.
    static func populate(_ store: FeedbackStore, annotators: Int, tasks: Int, seed: UInt64) async throws -> [String] {
        var tokens: [String] = []
        for index in 0..<annotators {
            tokens.append(try await store.createAnnotator(name: name(ofAnnotator: index), role: .annotator).token)
        }
        var generator = RandomGenerator(seed: seed)
        let lines = (0..<tasks).map { index in
            TaskLine(prompt: "Review \(index): \(sentence(positiveShare: 0.5, words: 6, &generator))", completions: models.map { model, share in
                TaskLine.CompletionLine(text: sentence(positiveShare: share, words: 14, &generator), model: model)
            })
        }
        try await store.importTasks(lines.numberedAsLines(), source: "load fixture")
        return tokens
    }

    private static func sentence(positiveShare: Double, words: Int, _ generator: inout RandomGenerator) -> String {
        (0..<words).map { _ in
            if generator.uniformDouble() < 0.6 { return neutral[generator.integer(in: 0..<neutral.count)] }
            let pool = generator.uniformDouble() < positiveShare ? positive : negative
            return pool[generator.integer(in: 0..<pool.count)]
        }.joined(separator: " ")
    }
}
