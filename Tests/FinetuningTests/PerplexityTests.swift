// `rlhf perplexity`'s definition: consecutive windows of the full context, the first token of
// each window unpredicted, checked against a direct computation.
import Foundation
import Testing
import LanguageModeling
import Tensors
import Transformer

@Suite struct PerplexityTests {
    @Test func windowsAreConsecutiveAndEachFirstTokenIsUnpredicted() throws {
        let model = try tinyLanguageModel()
        let network = model.network
        let tokens = (0..<75).map { Int32(($0 * 7) % 200) }  // two full 32-token windows and one of 11
        let report = try network.perplexity(of: tokens, batchSize: 3)
        #expect(report.tokens == 31 + 31 + 10)
        var total = 0.0
        for start in stride(from: 0, to: 75, by: 32) {
            let window = Array(tokens[start..<min(75, start + 32)])
            let logits = try network.logits(network.hiddenStates(TokenBatch(rows: [window]), tape: nil), tape: nil)
            let targets = (0..<window.count).map { $0 + 1 < window.count ? window[$0 + 1] : -1 }
            total -= try logits.tokenLogProbabilities(of: targets).scalars.reduce(0.0) { $0 + Double($1) }
        }
        #expect(abs(report.meanNLL - total / 72) < 1e-5)
        #expect(abs(report.perplexity - Foundation.exp(report.meanNLL)) < 1e-9)
    }
}

