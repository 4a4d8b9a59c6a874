// How far a learning round moved the model away from what it was asked to keep: before
// training, the starting model answers held-out prompts greedily and its next-token
// distributions along those answers are kept; after training, the mean KL(learned ‖ start) per
// token along the same answers says how much the unrelated behaviour changed.
import Foundation
import LanguageModeling
import Randomness
import Transformer

/// The drift on one held-out prompt.
package struct HeldOutDrift: Codable, Sendable, Equatable {
    package var prompt: String
    /// The starting model's greedy answer, along which the KL is measured.
    package var answer: String
    /// Mean KL(learned ‖ start) per answer token, in nats.
    package var klPerToken: Double
}

struct DriftProbe {
    private struct Probe {
        var prompt: String
        var answer: String
        var batch: SequenceBatch
        /// The starting model's log-probabilities, one row of the vocabulary per answer token.
        var reference: [[Double]]
    }

    private let probes: [Probe]

    /// Answers each prompt with `model` as it is now (at most `maximumTokens` tokens, fewer when
    /// the context is shorter) and keeps its distributions. Prompts with no room are skipped.
    init(model: LanguageModel, prompts: [String], maximumTokens: Int) throws {
        var probes: [Probe] = []
        for prompt in prompts {
            let tokens = try model.replyPrompt([ChatMessage(role: "user", content: prompt)])
            let room = min(maximumTokens, model.network.contextLength - tokens.count)
            guard room > 0 else { continue }
            var generator = RandomGenerator(seed: 0)
            let generation = try model.generate([tokens], parameters: SamplingParameters(temperature: 0, maxNewTokens: room), generator: &generator)[0]
            // The end of turn is part of the answer when the model chose it: drift in when to stop counts too.
            let response = generation.tokens + (generation.finishReason == .stop ? Array(model.stopTokens.prefix(1)) : [])
            guard !response.isEmpty else { continue }
            let batch = try SequenceBatch(prompts: [tokens], responses: [response], padding: model.endOfText ?? 0)
            probes.append(Probe(
                prompt: prompt, answer: try model.decode(generation.tokens), batch: batch, reference: try Self.logProbabilityRows(model, batch)))
        }
        self.probes = probes
    }

    /// The drift of `model` from the starting model on each prompt kept.
    func measure(_ model: LanguageModel) throws -> [HeldOutDrift] {
        try probes.map { probe in
            let rows = try Self.logProbabilityRows(model, probe.batch)
            let total = zip(rows, probe.reference).reduce(0.0) { sum, pair in
                sum + zip(pair.0, pair.1).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
            }
            return HeldOutDrift(prompt: probe.prompt, answer: probe.answer, klPerToken: total / Double(rows.count))
        }
    }

    /// Log-softmax of the logits at each answer position, in Double so that small KLs are not lost to rounding.
    private static func logProbabilityRows(_ model: LanguageModel, _ batch: SequenceBatch) throws -> [[Double]] {
        let logits = try model.network.logits(model.network.responseStates(batch, tape: nil), tape: nil).scalars
        let width = model.network.vocabularySize
        return (0..<batch.responseLength).map { position in
            let row = logits[(position * width)..<((position + 1) * width)]
            let top = Double(row.max() ?? 0)
            let logTotal = log(row.reduce(0.0) { $0 + exp(Double($1) - top) })
            return row.map { Double($0) - top - logTotal }
        }
    }
}
