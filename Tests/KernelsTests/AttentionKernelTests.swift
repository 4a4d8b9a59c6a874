// The fused attention kernel against explicit loops and finite differences, with left padding,
// sequences longer than one query block, and decoding against cached keys.
import Testing
import TestSupport
@testable import Kernels

@Suite struct AttentionKernelTests {
    func fusedForward(_ qkv: [Float], B: Int, T: Int, C: Int, H: Int, first: [Int32]?) -> [Float] {
        let g = AttentionGeometry(batch: B, heads: H, headSize: C / H, queries: T, keys: T)
        return withPointers([qkv, [Float](repeating: 0, count: B * T * C), [Float](repeating: 0, count: g.probabilityCount)]) { p in
            Attention.forward(
                out: StridedRows(base: p[1], rowStride: C, batchStride: T * C), probabilities: p[2],
                query: StridedRows(base: p[0], rowStride: 3 * C, batchStride: T * 3 * C),
                key: StridedRows(base: p[0] + C, rowStride: 3 * C, batchStride: T * 3 * C),
                value: StridedRows(base: p[0] + 2 * C, rowStride: 3 * C, batchStride: T * 3 * C),
                geometry: g, firstKey: first)
        }[1]
    }

    func fusedBackward(_ qkv: [Float], _ dout: [Float], B: Int, T: Int, C: Int, H: Int, first: [Int32]?) -> [Float] {
        let g = AttentionGeometry(batch: B, heads: H, headSize: C / H, queries: T, keys: T)
        return withPointers([qkv, [Float](repeating: 0, count: B * T * C), [Float](repeating: 0, count: g.probabilityCount), dout, [Float](repeating: 0, count: qkv.count)]) { p in
            let rows = { (base: UnsafeMutablePointer<Float>, offset: Int) in
                StridedRows(base: base + offset, rowStride: 3 * C, batchStride: T * 3 * C)
            }
            Attention.forward(
                out: StridedRows(base: p[1], rowStride: C, batchStride: T * C), probabilities: p[2],
                query: rows(p[0], 0), key: rows(p[0], C), value: rows(p[0], 2 * C), geometry: g, firstKey: first)
            Attention.backward(
                dQuery: rows(p[4], 0), dKey: rows(p[4], C), dValue: rows(p[4], 2 * C), accumulate: false,
                dout: StridedRows(base: p[3], rowStride: C, batchStride: T * C), probabilities: p[2],
                query: rows(p[0], 0), key: rows(p[0], C), value: rows(p[0], 2 * C), geometry: g, firstKey: first)
        }[4]
    }

    @Test(arguments: [(2, 5, 8, 2, false), (1, 40, 4, 1, false), (3, 6, 12, 3, true)])
    func matchesLoopsAndFiniteDifferences(B: Int, T: Int, C: Int, H: Int, padded: Bool) {
        let first: [Int32]? = padded ? (0..<B).map { Int32($0 * 2) } : nil
        var values = TestValues(seed: UInt64(T * 31 + C))
        GradientCheck(
            inputs: [values.next(B * T * 3 * C, scale: 1.5)],
            reference: { NaiveAttention.forward($0[0], batch: B, time: T, width: C, heads: H, first: first) },
            referenceBackward: { x, g in [NaiveAttention.backward(g, x[0], batch: B, time: T, width: C, heads: H, first: first)] },
            fused: { fusedForward($0[0], B: B, T: T, C: C, H: H, first: first) },
            fusedBackward: { x, g in [fusedBackward(x[0], g, B: B, T: T, C: C, H: H, first: first)] }
        ).run("attention B\(B) T\(T) C\(C) H\(H)\(padded ? " padded" : "")")
    }

    @Test func decodingAgainstCachedKeysReproducesTheFullPass() {
        let (T, C, H) = (37, 8, 2)
        var values = TestValues(seed: 9)
        let qkv = values.next(T * 3 * C).map(Float.init)
        let full = fusedForward(qkv, B: 1, T: T, C: C, H: H, first: nil)
        // Queries past..<T see every cached key before them: one token at a time, and a chunk.
        for past in [0, 1, 17, 36] {
            let g = AttentionGeometry(batch: 1, heads: H, headSize: C / H, queries: T - past, keys: T)
            let out = withPointers([qkv, [Float](repeating: 0, count: (T - past) * C), [Float](repeating: 0, count: g.probabilityCount)]) { p in
                Attention.forward(
                    out: StridedRows(base: p[1], rowStride: C, batchStride: 0), probabilities: p[2],
                    query: StridedRows(base: p[0] + past * 3 * C, rowStride: 3 * C, batchStride: 0),
                    key: StridedRows(base: p[0] + C, rowStride: 3 * C, batchStride: 0),
                    value: StridedRows(base: p[0] + 2 * C, rowStride: 3 * C, batchStride: 0),
                    geometry: g, firstKey: nil)
            }[1]
            expectClose(out, Array(full[(past * C)...]), Tolerance(relative: 1e-5, absolute: 1e-6), "queries from \(past) against the cache")
        }
    }

    @Test func aQueryWithNoVisibleKeyOutputsZero() {
        let (T, C) = (4, 4)
        var values = TestValues(seed: 10)
        let out = fusedForward(values.next(T * 3 * C).map(Float.init), B: 1, T: T, C: C, H: 1, first: [3])
        #expect(out[0..<(3 * C)].allSatisfy { $0 == 0 })
        #expect(out[(3 * C)...].contains { $0 != 0 })
    }
}
