// Llama's inference kernels against plain loops in Double: RMSNorm, adjacent-pair RoPE, the
// SwiGLU gate, and grouped-query attention against the same attention with each key/value head
// copied for every query head that shares it.
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

    /// Pair i of a head at position p turns by p·base^(−2i/d); other columns of the row stay.
    @Test func ropeRotatesAdjacentPairsByPosition() {
        let (rows, heads, headSize, stride) = (4, 2, 6, 14)
        var values = TestValues(seed: 4)
        let x = values.next(rows * stride)
        let positions: [Int32] = [0, 1, 7, 1000]
        let theta = RotaryEmbedding.frequencies(headSize: headSize, base: 10_000)
        var rotated = x.map(Float.init)
        rotated.withUnsafeMutableBufferPointer { buffer in
            positions.withUnsafeBufferPointer { RotaryEmbedding.rotate(buffer.baseAddress!, rowStride: stride, rows: rows, heads: heads, headSize: headSize, positions: $0.baseAddress!, frequencies: theta) }
        }
        var expected = x
        for row in 0..<rows {
            for head in 0..<heads {
                for i in 0..<(headSize / 2) {
                    let angle = Double(positions[row]) * pow(10_000, -2 * Double(i) / Double(headSize))
                    let at = row * stride + head * headSize + 2 * i
                    (expected[at], expected[at + 1]) = (x[at] * cos(angle) - x[at + 1] * sin(angle), x[at] * sin(angle) + x[at + 1] * cos(angle))
                }
            }
        }
        expectClose(rotated, expected, Tolerance(relative: 1e-5, absolute: 1e-5), "RoPE")
        #expect(rotated[(0..<stride)].elementsEqual(x[0..<stride].map(Float.init)), "position 0 is the identity")
    }

    @Test func swiGLUIsSiLUOfTheGateTimesUp() {
        var values = TestValues(seed: 5)
        let gate = values.next(37, scale: 6), up = values.next(37)
        let out = withPointers([gate.map(Float.init), up.map(Float.init)]) { p in SwiGLU.forward(gate: p[0], up: p[1], count: 37) }[0]
        expectClose(out, zip(gate, up).map { $0 / (1 + exp(-$0)) * $1 }, Tolerance(relative: 1e-5, absolute: 1e-6), "SwiGLU")
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
}
