// What a pipeline keeps of its reward model's held-out evaluation beside the model, so that a
// resumed run reports it as the first did. It is written after the model, so a folder holding
// the model alone was stopped between the two and trains the model again (the same model: the
// training is seeded).
import AtomicFiles
import Foundation
import RewardModeling

struct RewardSummary: Codable {
    /// Held-out pairwise accuracy; nil when no held-out pair had a winner to get right.
    var accuracy: Double?

    init(_ evaluation: PreferenceEvaluation?) {
        accuracy = evaluation.flatMap { $0.pairs > 0 ? $0.accuracy : nil }
    }

    static func load(from url: URL) -> RewardSummary? {
        try? JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }

    func write(to url: URL) throws {
        try AtomicFile.write(try JSONEncoder.pretty.encode(self), to: url)
    }

    /// "held-out pairwise accuracy 69.9% on 2165 pairs", or why there is none.
    static func note(_ evaluation: PreferenceEvaluation?) -> String {
        guard let evaluation else { return "no held-out comparisons" }
        guard evaluation.pairs > 0 else { return "no held-out pair with a winner (\(evaluation.tiedPairs) tied)" }
        return String(format: "held-out pairwise accuracy %.1f%% on %d pairs", 100 * evaluation.accuracy, evaluation.pairs)
    }
}
