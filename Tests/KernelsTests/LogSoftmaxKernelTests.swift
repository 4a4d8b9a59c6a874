// Token log-probabilities (with an ignored row and a temperature) and entropy kernels.
import Testing
import TestSupport
@testable import Kernels

@Suite struct LogSoftmaxKernelTests {
    let N = 6
    let V = 13
    let tokens: [Int32] = [3, 0, -1, 12, 7, 7]

    @Test(arguments: [Float(1), 0.6])
    func tokenLogProbabilities(temperature: Float) {
        let (N, V, tokens) = (self.N, self.V, self.tokens)
        let scale = 1 / temperature
        var values = TestValues(seed: 21)
        GradientCheck(
            inputs: [values.next(N * V, scale: 4)],
            reference: { NaiveLogSoftmax.tokenLogProbabilities($0[0], tokens, vocabulary: V, scale: Double(scale)) },
            referenceBackward: { x, g in [NaiveLogSoftmax.tokenLogProbabilitiesBackward(g, x[0], tokens, vocabulary: V, scale: Double(scale))] },
            fused: { x in
                withPointers([x[0], [Float](repeating: 0, count: N), [Float](repeating: 0, count: N)]) { p in
                    LogSoftmax.tokenLogProbabilities(out: p[1], logSumExp: p[2], logits: p[0], tokens: tokens, scale: scale, rows: N, vocabulary: V)
                }[1]
            },
            fusedBackward: { x, g in
                [withPointers([x[0], [Float](repeating: 0, count: N), [Float](repeating: 0, count: N), g, [Float](repeating: 0, count: N * V)]) { p in
                    LogSoftmax.tokenLogProbabilities(out: p[1], logSumExp: p[2], logits: p[0], tokens: tokens, scale: scale, rows: N, vocabulary: V)
                    LogSoftmax.tokenLogProbabilitiesBackward(dLogits: p[4], accumulate: false, gradient: p[3], logits: p[0], logSumExp: p[2], tokens: tokens, scale: scale, rows: N, vocabulary: V)
                }[4]]
            }
        ).run("token log-probabilities at temperature \(temperature)")
    }

    @Test(arguments: [Float(1), 1.7])
    func entropy(temperature: Float) {
        let (N, V) = (self.N, self.V)
        let scale = 1 / temperature
        var values = TestValues(seed: 22)
        GradientCheck(
            inputs: [values.next(N * V, scale: 4)],
            reference: { NaiveLogSoftmax.entropy($0[0], vocabulary: V, scale: Double(scale)) },
            referenceBackward: { x, g in [NaiveLogSoftmax.entropyBackward(g, x[0], vocabulary: V, scale: Double(scale))] },
            fused: { x in
                withPointers([x[0], [Float](repeating: 0, count: N), [Float](repeating: 0, count: N)]) { p in
                    LogSoftmax.entropy(out: p[1], logSumExp: p[2], logits: p[0], scale: scale, rows: N, vocabulary: V)
                }[1]
            },
            fusedBackward: { x, g in
                [withPointers([x[0], [Float](repeating: 0, count: N), [Float](repeating: 0, count: N), g, [Float](repeating: 0, count: N * V)]) { p in
                    LogSoftmax.entropy(out: p[1], logSumExp: p[2], logits: p[0], scale: scale, rows: N, vocabulary: V)
                    LogSoftmax.entropyBackward(dLogits: p[4], accumulate: false, gradient: p[3], logits: p[0], logSumExp: p[2], entropy: p[1], scale: scale, rows: N, vocabulary: V)
                }[4]]
            }
        ).run("entropy at temperature \(temperature)")
    }

    @Test func largeLogitsStayFinite() {
        let logits: [Float] = [1000, -1000, 999, 0]
        let out = withPointers([logits, [0], [0]]) { p in
            LogSoftmax.tokenLogProbabilities(out: p[1], logSumExp: p[2], logits: p[0], tokens: [2], scale: 1, rows: 1, vocabulary: 4)
        }
        // log-sum-exp ≈ 1000.31 carries Float's ulp at 1000 (6e-5), hence the tolerance.
        #expect(abs(out[1][0] - (-1.313_261_7)) < 1e-4)
        #expect(out[2][0].isFinite)
    }
}
