// Embedding, linear, layer norm and GELU kernels against their naive references and finite
// differences.
import Testing
import TestSupport
@testable import Kernels

@Suite struct LayerKernelTests {
    @Test func linearWithBias() {
        let (N, I, O) = (6, 5, 7)
        var values = TestValues(seed: 1)
        GradientCheck(
            inputs: [values.next(N * I), values.next(I * O), values.next(O)],
            reference: { NaiveLayers.linear($0[0], $0[1], $0[2], rows: N, inputs: I, outputs: O) },
            referenceBackward: { x, g in
                let r = NaiveLayers.linearBackward(g, x[0], x[1], rows: N, inputs: I, outputs: O)
                return [r.dx, r.dw, r.db]
            },
            fused: { x in
                withPointers([x[0], x[1], x[2], [Float](repeating: 0, count: N * O)]) { p in
                    Linear.forward(out: p[3], input: p[0], weight: p[1], layout: .inputMajor, bias: p[2], rows: N, inputs: I, outputs: O)
                }[3]
            },
            fusedBackward: { x, g in
                let zeros = { [Float](repeating: 0, count: $0) }
                let out = withPointers([x[0], x[1], g, zeros(N * I), zeros(I * O), zeros(O)]) { p in
                    Linear.backward(
                        dInput: p[3], accumulateInput: false, dWeight: p[4], dBias: p[5], dout: p[2],
                        input: p[0], weight: p[1], layout: .inputMajor, rows: N, inputs: I, outputs: O)
                }
                return [out[3], out[4], out[5]]
            }
        ).run("linear")
    }

    @Test func linearOutputMajorAccumulatesIntoExistingGradients() {
        let (N, I, O) = (4, 3, 5)
        var values = TestValues(seed: 2)
        let x = values.next(N * I).map(Float.init), w = values.next(O * I).map(Float.init), g = values.next(N * O).map(Float.init)
        let start = values.next(N * I).map(Float.init)
        let out = withPointers([x, w, g, start]) { p in
            Linear.backward(
                dInput: p[3], accumulateInput: true, dWeight: nil, dBias: nil, dout: p[2],
                input: p[0], weight: p[1], layout: .outputMajor, rows: N, inputs: I, outputs: O)
        }
        for n in 0..<N {
            for i in 0..<I {
                var expected = Double(start[n * I + i])
                for o in 0..<O { expected += Double(g[n * O + o]) * Double(w[o * I + i]) }
                #expect(abs(Double(out[3][n * I + i]) - expected) < 1e-5)
            }
        }
    }

    @Test(arguments: [7, 16, 19])
    func layerNorm(width C: Int) {
        let N = 5
        var values = TestValues(seed: UInt64(C))
        GradientCheck(
            inputs: [values.next(N * C, scale: 3).map { $0 + 0.7 }, values.next(C).map { $0 + 1 }, values.next(C)],
            reference: { NaiveLayers.layerNorm($0[0], $0[1], $0[2], rows: N, width: C) },
            referenceBackward: { x, g in
                let r = NaiveLayers.layerNormBackward(g, x[0], x[1], rows: N, width: C)
                return [r.dx, r.dw, r.db]
            },
            fused: { x in
                let zeros = { [Float](repeating: 0, count: $0) }
                return withPointers([x[0], x[1], x[2], zeros(N * C), zeros(N), zeros(N)]) { p in
                    LayerNorm.forward(out: p[3], mean: p[4], rstd: p[5], input: p[0], weight: p[1], bias: p[2], rows: N, width: C)
                }[3]
            },
            fusedBackward: { x, g in
                let zeros = { [Float](repeating: 0, count: $0) }
                let out = withPointers([x[0], x[1], x[2], zeros(N * C), zeros(N), zeros(N), g, zeros(N * C), zeros(C), zeros(C)]) { p in
                    LayerNorm.forward(out: p[3], mean: p[4], rstd: p[5], input: p[0], weight: p[1], bias: p[2], rows: N, width: C)
                    LayerNorm.backward(
                        dInput: p[7], accumulateInput: false, dWeight: p[8], dBias: p[9], dout: p[6], input: p[0],
                        weight: p[1], mean: p[4], rstd: p[5], rows: N, width: C)
                }
                return [out[7], out[8], out[9]]
            }
        ).run("layerNorm width \(C)")
    }

    @Test func gelu() {
        var values = TestValues(seed: 5)
        let count = 53
        GradientCheck(
            inputs: [values.next(count, scale: 5)],
            reference: { NaiveLayers.gelu($0[0]) },
            referenceBackward: { x, g in [NaiveLayers.geluBackward(g, x[0])] },
            fused: { x in
                withPointers([x[0], [Float](repeating: 0, count: count)]) { p in GELU.forward(out: p[1], input: p[0], count: count) }[1]
            },
            fusedBackward: { x, g in
                [withPointers([x[0], g, [Float](repeating: 0, count: count)]) { p in
                    GELU.backward(dInput: p[2], accumulate: false, dout: p[1], input: p[0], count: count)
                }[2]]
            }
        ).run("gelu")
    }

    @Test func embeddingScattersRepeatedTokens() {
        let (V, P, C) = (6, 5, 9)
        let tokens: [Int32] = [1, 4, 1, 0, 5, 1], positions: [Int32] = [0, 1, 2, 2, 3, 4]
        var values = TestValues(seed: 6)
        GradientCheck(
            inputs: [values.next(V * C), values.next(P * C)],
            reference: { NaiveLayers.embedding(tokens, positions, $0[0], $0[1], width: C) },
            referenceBackward: { _, g in
                let r = NaiveLayers.embeddingBackward(g, tokens, positions, vocabulary: V, positionCount: P, width: C)
                return [r.dwte, r.dwpe]
            },
            fused: { x in
                withPointers([x[0], x[1], [Float](repeating: 0, count: tokens.count * C)]) { p in
                    Embedding.forward(out: p[2], tokens: tokens, positions: positions, count: tokens.count, tokenTable: p[0], positionTable: p[1], width: C)
                }[2]
            },
            fusedBackward: { _, g in
                let out = withPointers([g, [Float](repeating: 0, count: V * C), [Float](repeating: 0, count: P * C)]) { p in
                    Embedding.backward(dTokenTable: p[1], dPositionTable: p[2], dout: p[0], tokens: tokens, positions: positions, count: tokens.count, width: C)
                }
                return [out[1], out[2]]
            }
        ).run("embedding")
    }
}
