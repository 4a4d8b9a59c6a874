// Llama's kernels against plain loops in Double: RMSNorm, RoPE (rotate-half, with its
// backward), the SwiGLU gate, and
// grouped-query attention against the same attention with each key/value head copied for every
// query head that shares it. Gradients are checked by central finite differences.
import Foundation
import Testing
import TestSupport
@testable import Kernels

@Suite struct LlamaKernelTests {
    @Test func rmsNormScalesEachRowByItsRootMeanSquare() {
        let (rows, width, epsilon) = (5, 13, Float(1e-5))
        var values = TestValues(seed: 3)
        let x = values.next(rows * width, scale: 3), w = values.next(width)
        let out = withPointers([x.map(Float.init), w.map(Float.init), [Float](repeating: 0, count: rows * width)]) { p in
            RMSNorm.forward(out: p[2], input: p[0], weight: p[1], rows: rows, width: width, epsilon: epsilon)
        }[2]
        let expected = (0..<(rows * width)).map { i -> Double in
            let row = x[(i / width * width)..<((i / width + 1) * width)]
            return x[i] / (row.map { $0 * $0 }.reduce(0, +) / Double(width) + Double(epsilon)).squareRoot() * w[i % width]
        }
        expectClose(out, expected, Tolerance(relative: 1e-5, absolute: 1e-6), "RMSNorm")
    }

    @Test func groupedQueryAttentionEqualsAttentionWithSharedHeadsCopied() {
        let (B, T, heads, kvHeads, d) = (2, 9, 6, 2, 4)
        let (C, KV) = (heads * d, kvHeads * d)
        var values = TestValues(seed: 6)
        let grouped = values.next(B * T * (C + 2 * KV), scale: 1.5).map(Float.init)
        // The same q, with key/value head h/3 copied into column block h.
        var expanded = [Float](repeating: 0, count: B * T * 3 * C)
        for row in 0..<(B * T) {
            let source = row * (C + 2 * KV), target = row * 3 * C
            for j in 0..<C { expanded[target + j] = grouped[source + j] }
            for h in 0..<heads {
                for j in 0..<d {
                    expanded[target + C + h * d + j] = grouped[source + C + h / 3 * d + j]
                    expanded[target + 2 * C + h * d + j] = grouped[source + C + KV + h / 3 * d + j]
                }
            }
        }
        func attend(_ qkv: [Float], fused: Int, keyOffset: Int, valueOffset: Int, group: Int) -> [Float] {
            let g = AttentionGeometry(batch: B, heads: heads, headSize: d, queries: T, keys: T, queriesPerKeyValueHead: group)
            return withPointers([qkv, [Float](repeating: 0, count: B * T * C), [Float](repeating: 0, count: g.probabilityCount)]) { p in
                let rows = { (offset: Int) in StridedRows(base: p[0] + offset, rowStride: fused, batchStride: T * fused) }
                Attention.forward(out: StridedRows(base: p[1], rowStride: C, batchStride: T * C), probabilities: p[2],
                                  query: rows(0), key: rows(keyOffset), value: rows(valueOffset), geometry: g, firstKey: nil)
            }[1]
        }
        let shared = attend(grouped, fused: C + 2 * KV, keyOffset: C, valueOffset: C + KV, group: 3)
        let copied = attend(expanded, fused: 3 * C, keyOffset: C, valueOffset: 2 * C, group: 1)
        expectClose(shared, copied.map(Double.init), Tolerance(relative: 1e-6, absolute: 1e-7), "grouped-query attention")
    }

    @Test(arguments: [7, 16, 19])
    func rmsNormMatchesLoopsAndFiniteDifferences(width C: Int) {
        let (N, epsilon) = (5, Float(1e-5))
        var values = TestValues(seed: UInt64(40 + C))
        GradientCheck(
            inputs: [values.next(N * C, scale: 3).map { $0 + 0.3 }, values.next(C).map { $0 + 1 }],
            reference: { NaiveLlamaLayers.rmsNorm($0[0], $0[1], rows: N, width: C) },
            referenceBackward: { x, g in
                let r = NaiveLlamaLayers.rmsNormBackward(g, x[0], x[1], rows: N, width: C)
                return [r.dx, r.dw]
            },
            fused: { x in
                withPointers([x[0], x[1], zeros(N * C), zeros(N)]) { p in
                    RMSNorm.forward(out: p[2], rstd: p[3], input: p[0], weight: p[1], rows: N, width: C, epsilon: epsilon)
                }[2]
            },
            fusedBackward: { x, g in
                let out = withPointers([x[0], x[1], zeros(N * C), zeros(N), g, zeros(N * C), zeros(C)]) { p in
                    RMSNorm.forward(out: p[2], rstd: p[3], input: p[0], weight: p[1], rows: N, width: C, epsilon: epsilon)
                    RMSNorm.backward(
                        dInput: p[5], accumulateInput: false, dWeight: p[6], dout: p[4], input: p[0], weight: p[1],
                        rstd: p[3], rows: N, width: C)
                }
                return [out[5], out[6]]
            }
        ).run("rmsNorm width \(C)")
    }

    /// Dense positions take the table of one entry per position, scattered ones one per row.
    @Test(arguments: [6, 16, 20], [[0, 1, 2, 0, 1, 2] as [Int32], [3, 1000, 0, 100_000, 7]])
    func rotateHalfMatchesLoopsAndFiniteDifferences(headSize D: Int, positions: [Int32]) {
        let (rows, heads, width) = (positions.count, 2, 2 * D)
        let theta = RotaryEmbedding.frequencies(headSize: D, base: 10_000)
        var values = TestValues(seed: UInt64(D))
        GradientCheck(
            inputs: [values.next(rows * width, scale: 2)],
            reference: { NaiveLlamaLayers.rotaryEmbedding($0[0], heads: heads, headSize: D, positions: positions, frequencies: theta) },
            referenceBackward: { _, g in [NaiveLlamaLayers.rotaryEmbeddingBackward(g, heads: heads, headSize: D, positions: positions, frequencies: theta)] },
            fused: { x in
                withPointers([x[0], zeros(rows * width)]) { p in
                    RotaryEmbedding.forward(
                        out: p[1], outRowStride: width, input: p[0], inputRowStride: width,
                        rows: rows, heads: heads, headSize: D, positions: positions, frequencies: theta)
                }[1]
            },
            fusedBackward: { _, g in
                [withPointers([g, zeros(rows * width)]) { p in
                    RotaryEmbedding.backward(
                        dInput: p[1], dInputRowStride: width, accumulate: false, dout: p[0], doutRowStride: width,
                        rows: rows, heads: heads, headSize: D, positions: positions, frequencies: theta)
                }[1]]
            }
        ).run("rotate-half D\(D) positions \(positions)")
    }

    /// Hugging Face's pairing, spelled out for one head of 4: (x0, x2) turns by p·θ0, (x1, x3) by p·θ1.
    @Test func rotateHalfPairsEachValueWithTheOneHalfAHeadAway() {
        let x: [Float] = [1, 2, 3, 4], theta: [Float] = [1, 0.5], position: Int32 = 2
        let out = withPointers([x, zeros(4)]) { p in
            RotaryEmbedding.forward(out: p[1], outRowStride: 4, input: p[0], inputRowStride: 4, rows: 1, heads: 1, headSize: 4, positions: [position], frequencies: theta)
        }[1]
        let (a, b) = (2.0, 1.0)
        expectClose(out, [1 * cos(a) - 3 * sin(a), 2 * cos(b) - 4 * sin(b), 3 * cos(a) + 1 * sin(a), 4 * cos(b) + 2 * sin(b)],
                    Tolerance(relative: 1e-6, absolute: 1e-6), "rotate-half by hand")
    }

    /// In place on rows inside a wider buffer (q's columns of a fused projection): the heads turn
    /// as out of place, and the other columns stay.
    @Test func rotateHalfInPlaceOnStridedRowsLeavesOtherColumns() {
        let (rows, heads, D, stride) = (5, 3, 8, 31)
        let positions: [Int32] = [4, 0, 9, 2, 2]
        let theta = RotaryEmbedding.frequencies(headSize: D, base: 500)
        var values = TestValues(seed: 12)
        let buffer = values.next(rows * stride).map(Float.init)
        let inPlace = withPointers([buffer]) { p in
            RotaryEmbedding.forward(out: p[0], outRowStride: stride, input: p[0], inputRowStride: stride, rows: rows, heads: heads, headSize: D, positions: positions, frequencies: theta)
        }[0]
        let packed = (0..<rows).flatMap { buffer[($0 * stride)..<($0 * stride + heads * D)] }
        let expected = NaiveLlamaLayers.rotaryEmbedding(packed.map(Double.init), heads: heads, headSize: D, positions: positions, frequencies: theta)
        expectClose((0..<rows).flatMap { inPlace[($0 * stride)..<($0 * stride + heads * D)] }, expected, .forward, "in place")
        for row in 0..<rows {
            #expect(inPlace[(row * stride + heads * D)..<((row + 1) * stride)] == buffer[(row * stride + heads * D)..<((row + 1) * stride)])
        }
    }

    @Test(arguments: [37, 70_001])
    func swiGLUMatchesLoopsAndFiniteDifferences(count: Int) {
        var values = TestValues(seed: UInt64(count))
        let inputs = [values.next(count, scale: 6), values.next(count, scale: 2)]
        let check = GradientCheck(
            inputs: inputs,
            reference: { NaiveLlamaLayers.swiGLU($0[0], $0[1]) },
            referenceBackward: { x, g in
                let r = NaiveLlamaLayers.swiGLUBackward(g, x[0], x[1])
                return [r.dGate, r.dUp]
            },
            fused: { x in
                withPointers([x[0], x[1], zeros(count)]) { p in SwiGLU.forward(out: p[2], gate: p[0], up: p[1], count: count) }[2]
            },
            fusedBackward: { x, g in
                let out = withPointers([x[0], x[1], g, zeros(count), zeros(count)]) { p in
                    SwiGLU.backward(dGate: p[3], accumulateGate: false, dUp: p[4], accumulateUp: false, dout: p[2], gate: p[0], up: p[1], count: count)
                }
                return [out[3], out[4]]
            })
        if count < 1000 {
            check.run("swiGLU \(count)")
        } else {
            // Split across threads: against the closed forms (finite differences of 140K inputs
            // would take minutes and test nothing the small case does not).
            let floats = inputs.map { $0.map(Float.init) }
            var upstreamValues = TestValues(seed: 3)
            let upstream = upstreamValues.next(count)
            expectClose(check.fused(floats), check.reference(inputs), .forward, "swiGLU forward, \(count)")
            let exact = check.referenceBackward!(inputs, upstream)
            let fused = check.fusedBackward(floats, upstream.map(Float.init))
            expectClose(fused[0], exact[0], .gradient, "swiGLU dGate, \(count)")
            expectClose(fused[1], exact[1], .gradient, "swiGLU dUp, \(count)")
        }
    }

    /// With the accumulate flags set, each backward adds to what the buffers held; weight gradients
    /// always add. A nil buffer is skipped.
    @Test func backwardKernelsAddToExistingGradientsWhenAsked() {
        let (rows, width, D) = (3, 12, 6)
        var values = TestValues(seed: 13)
        let x = values.next(rows * width).map(Float.init), w = values.next(width).map(Float.init)
        let g = values.next(rows * width).map(Float.init), start = values.next(rows * width).map(Float.init)
        let startWeight = values.next(width).map(Float.init)
        let positions: [Int32] = [5, 1, 2], theta = RotaryEmbedding.frequencies(headSize: D, base: 100)
        func sum(_ a: [Float], _ b: [Float]) -> [Double] { zip(a, b).map { Double($0) + Double($1) } }
        let tight = Tolerance(relative: 1e-6, absolute: 1e-6)

        let norm = withPointers([x, w, zeros(rows * width), zeros(rows), g, zeros(rows * width), start, zeros(width), startWeight]) { p in
            RMSNorm.forward(out: p[2], rstd: p[3], input: p[0], weight: p[1], rows: rows, width: width, epsilon: 1e-5)
            RMSNorm.backward(dInput: p[5], accumulateInput: false, dWeight: p[7], dout: p[4], input: p[0], weight: p[1], rstd: p[3], rows: rows, width: width)
            RMSNorm.backward(dInput: p[6], accumulateInput: true, dWeight: p[8], dout: p[4], input: p[0], weight: p[1], rstd: p[3], rows: rows, width: width)
        }
        expectClose(norm[6], sum(start, norm[5]), tight, "rmsNorm dInput accumulated")
        expectClose(norm[8], sum(startWeight, norm[7]), tight, "rmsNorm dWeight accumulated")

        let rope = withPointers([g, zeros(rows * width), start]) { p in
            for (target, accumulate) in [(p[1], false), (p[2], true)] {
                RotaryEmbedding.backward(dInput: target, dInputRowStride: width, accumulate: accumulate, dout: p[0], doutRowStride: width, rows: rows, heads: 2, headSize: D, positions: positions, frequencies: theta)
            }
        }
        expectClose(rope[2], sum(start, rope[1]), tight, "rotate-half backward accumulated")

        let count = rows * width
        let glu = withPointers([x, w + w + w, g, zeros(count), zeros(count), start, start]) { p in
            SwiGLU.backward(dGate: p[3], accumulateGate: false, dUp: p[4], accumulateUp: false, dout: p[2], gate: p[0], up: p[1], count: count)
            SwiGLU.backward(dGate: p[5], accumulateGate: true, dUp: nil, accumulateUp: false, dout: p[2], gate: p[0], up: p[1], count: count)
            SwiGLU.backward(dGate: nil, accumulateGate: false, dUp: p[6], accumulateUp: true, dout: p[2], gate: p[0], up: p[1], count: count)
        }
        expectClose(glu[5], sum(start, glu[3]), tight, "swiGLU dGate accumulated")
        expectClose(glu[6], sum(start, glu[4]), tight, "swiGLU dUp accumulated")
    }

    private func zeros(_ count: Int) -> [Float] { [Float](repeating: 0, count: count) }
}
