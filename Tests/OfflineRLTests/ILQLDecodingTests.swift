// ILQL's decoding against trlX's (modeling_ilql.py, AutoModelForCausalLMWithILQLHeads.generate):
// log_softmax(logits) + β·(min over the target Q-heads − V), so every probability the sampler
// draws from is trlX's; the Q-heads themselves, which the loss trains, take no part.
import Foundation
import OfflineRL
import Tensors
import Testing
import TestSupport

@Suite struct ILQLDecodingTests {
    @Test(arguments: [1, 2]) func adjustedLogitsAreTrlXsAdvantageWeightedLogProbabilities(qCount: Int) throws {
        let model = try tinyModel("gpt2", seed: 2)
        let (C, V, B) = (model.network.hiddenSize, model.network.vocabularySize, 3)
        let heads = try ILQLHeads(hiddenSize: C, vocabularySize: V, qCount: qCount, seed: 7)
        // Targets apart from the Q-heads and from each other, so reading the wrong ones shows.
        for i in heads.targetParameters.allValues.indices { heads.targetParameters.allValues[i] += 0.05 * Float((i * 37) % 11 - 5) }
        for i in heads.parameters.allValues.indices { heads.parameters.allValues[i] -= 0.3 }
        let policy = try ILQLPolicy(model: model, heads: heads)
        var values = TestValues(seed: 4)
        let hidden = try Tensor(shape: [B, C], values: values.next(B * C, scale: 2).map(Float.init))
        let logits = try Tensor(shape: [B, V], values: values.next(B * V, scale: 3).map(Float.init))
        let beta: Float = 1.7
        let adjusted = try policy.adjustedLogits(hidden: hidden, logits: logits, beta: beta).scalars

        let targets = try heads.targetQValues(hidden).map { $0.scalars.map(Double.init) }
        let state = try heads.values(hidden, tape: nil).scalars.map(Double.init)
        let q = try heads.qValues(hidden, tape: nil).map { $0.scalars.map(Double.init) }
        #expect(q[0] != targets[0], "the check needs Q-heads unlike their targets")
        let raw = logits.scalars.map(Double.init)
        for row in 0..<B {
            let slice = (row * V)..<((row + 1) * V)
            let maximum = raw[slice].max()!
            let logSumExp = maximum + log(raw[slice].reduce(0) { $0 + exp($1 - maximum) })
            let trlX = slice.map { i in
                raw[i] - logSumExp + Double(beta) * (targets.map { $0[i] }.min()! - state[row])
            }
            // The same distribution: the two differ by one constant per row.
            let shifts = zip(slice, trlX).map { Double(adjusted[$0]) - $1 }
            #expect(shifts.max()! - shifts.min()! < 1e-4, "row \(row): shifts \(shifts.min()!)...\(shifts.max()!)")
            #expect(abs(shifts[0] - logSumExp) < 1e-4)
        }
        let plain = try policy.adjustedLogits(hidden: hidden, logits: logits, beta: 0).scalars
        #expect(plain == logits.scalars, "β = 0 samples the language model itself")
    }
}
