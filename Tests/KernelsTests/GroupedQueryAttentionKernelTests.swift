// Grouped-query attention through the fused kernel with separate q, k and v buffers, against
// the naive attention with each shared key/value head copied for every query head that reads it:
// outputs equal, and the gradients of a shared head are the sums over its copies. Also: finite
// differences, left padding, decoding against cached keys, and results that do not depend on how
// the work is split across threads.
import Testing
import TestSupport
@testable import Kernels

struct GroupedShape: Sendable, CustomTestStringConvertible {
    let B: Int, T: Int, heads: Int, keyValueHeads: Int, headSize: Int, padded: Bool
    var C: Int { heads * headSize }
    var KV: Int { keyValueHeads * headSize }
    var group: Int { heads / keyValueHeads }
    var first: [Int32]? { padded ? (0..<B).map { Int32((2 * $0 + 1) % T) } : nil }
    var geometry: AttentionGeometry {
        AttentionGeometry(batch: B, heads: heads, headSize: headSize, queries: T, keys: T, queriesPerKeyValueHead: group)
    }
    var testDescription: String { "B\(B) T\(T) \(heads)/\(keyValueHeads) heads of \(headSize)\(padded ? " padded" : "")" }

    /// q, k, v → the fused [B, T, 3C] of plain attention, key/value head h / group copied to head h.
    func expanded<T: BinaryFloatingPoint>(_ q: [T], _ k: [T], _ v: [T]) -> [T] {
        var out = [T](repeating: 0, count: B * self.T * 3 * C)
        for row in 0..<(B * self.T) {
            for h in 0..<heads {
                for j in 0..<headSize {
                    let target = row * 3 * C + h * headSize + j, shared = row * KV + h / group * headSize + j
                    out[target] = q[row * C + h * headSize + j]
                    out[target + C] = k[shared]
                    out[target + 2 * C] = v[shared]
                }
            }
        }
        return out
    }

    /// The gradient of the fused [B, T, 3C] → dq, and dk, dv summed over each shared head's copies.
    func contracted(_ dqkv: [Double]) -> [[Double]] {
        var dq = [Double](repeating: 0, count: B * T * C), dk = [Double](repeating: 0, count: B * T * KV), dv = dk
        for row in 0..<(B * T) {
            for h in 0..<heads {
                for j in 0..<headSize {
                    let source = row * 3 * C + h * headSize + j, shared = row * KV + h / group * headSize + j
                    dq[row * C + h * headSize + j] = dqkv[source]
                    dk[shared] += dqkv[source + C]
                    dv[shared] += dqkv[source + 2 * C]
                }
            }
        }
        return [dq, dk, dv]
    }

    func rows(_ base: UnsafeMutablePointer<Float>, _ width: Int) -> StridedRows {
        StridedRows(base: base, rowStride: width, batchStride: T * width)
    }

    func forward(_ q: [Float], _ k: [Float], _ v: [Float]) -> [Float] {
        withPointers([q, k, v, zeros(B * T * C), zeros(geometry.probabilityCount)]) { p in
            Attention.forward(
                out: rows(p[3], C), probabilities: p[4], query: rows(p[0], C), key: rows(p[1], KV), value: rows(p[2], KV),
                geometry: geometry, firstKey: first)
        }[3]
    }

    /// [dq, dk, dv] written (or added to `start` when given).
    func backward(_ q: [Float], _ k: [Float], _ v: [Float], _ dout: [Float], start: [[Float]]? = nil) -> [[Float]] {
        let initial = start ?? [zeros(q.count), zeros(k.count), zeros(v.count)]
        let out = withPointers([q, k, v, zeros(B * T * C), zeros(geometry.probabilityCount), dout] + initial) { p in
            Attention.forward(
                out: rows(p[3], C), probabilities: p[4], query: rows(p[0], C), key: rows(p[1], KV), value: rows(p[2], KV),
                geometry: geometry, firstKey: first)
            Attention.backward(
                dQuery: rows(p[6], C), dKey: rows(p[7], KV), dValue: rows(p[8], KV), accumulate: start != nil,
                dout: rows(p[5], C), probabilities: p[4], query: rows(p[0], C), key: rows(p[1], KV), value: rows(p[2], KV),
                geometry: geometry, firstKey: first)
        }
        return Array(out[6...])
    }

    func zeros(_ count: Int) -> [Float] { [Float](repeating: 0, count: count) }
}

@Suite struct GroupedQueryAttentionKernelTests {
    static let shapes = [
        GroupedShape(B: 2, T: 5, heads: 4, keyValueHeads: 2, headSize: 3, padded: false),
        GroupedShape(B: 1, T: 35, heads: 4, keyValueHeads: 2, headSize: 2, padded: true),
        GroupedShape(B: 3, T: 6, heads: 6, keyValueHeads: 3, headSize: 2, padded: true),
        GroupedShape(B: 2, T: 7, heads: 4, keyValueHeads: 1, headSize: 4, padded: false),
        GroupedShape(B: 2, T: 6, heads: 3, keyValueHeads: 3, headSize: 4, padded: true),
    ]

    @Test(arguments: shapes)
    func matchesCopiedHeadsAndFiniteDifferences(_ s: GroupedShape) {
        var values = TestValues(seed: UInt64(s.T * 7 + s.heads))
        GradientCheck(
            inputs: [values.next(s.B * s.T * s.C, scale: 1.5), values.next(s.B * s.T * s.KV, scale: 1.5), values.next(s.B * s.T * s.KV)],
            reference: { x in
                NaiveAttention.forward(s.expanded(x[0], x[1], x[2]), batch: s.B, time: s.T, width: s.C, heads: s.heads, first: s.first)
            },
            referenceBackward: { x, g in
                s.contracted(NaiveAttention.backward(g, s.expanded(x[0], x[1], x[2]), batch: s.B, time: s.T, width: s.C, heads: s.heads, first: s.first))
            },
            fused: { x in s.forward(x[0], x[1], x[2]) },
            fusedBackward: { x, g in s.backward(x[0], x[1], x[2], g) }
        ).run("grouped-query attention \(s.testDescription)")
    }

    /// Accumulating adds to what the buffers held; a nil gradient is skipped and changes no other.
    @Test func accumulatesWhenAskedAndSkipsGradientsNotWanted() {
        let s = GroupedShape(B: 2, T: 9, heads: 6, keyValueHeads: 2, headSize: 4, padded: true)
        var values = TestValues(seed: 31)
        let q = values.next(s.B * s.T * s.C).map(Float.init), k = values.next(s.B * s.T * s.KV).map(Float.init)
        let v = values.next(s.B * s.T * s.KV).map(Float.init), g = values.next(s.B * s.T * s.C).map(Float.init)
        let start = [values.next(q.count), values.next(k.count), values.next(v.count)].map { $0.map(Float.init) }
        let written = s.backward(q, k, v, g)
        let added = s.backward(q, k, v, g, start: start)
        for i in 0..<3 {
            expectClose(added[i], zip(start[i], written[i]).map { Double($0) + Double($1) }, Tolerance(relative: 1e-6, absolute: 1e-6), "gradient \(i) accumulated")
        }
        for skipped in 0..<3 {
            let out = withPointers([q, k, v, s.zeros(s.B * s.T * s.C), s.zeros(s.geometry.probabilityCount), g, s.zeros(q.count), s.zeros(k.count), s.zeros(v.count)]) { p in
                Attention.forward(
                    out: s.rows(p[3], s.C), probabilities: p[4], query: s.rows(p[0], s.C), key: s.rows(p[1], s.KV), value: s.rows(p[2], s.KV),
                    geometry: s.geometry, firstKey: s.first)
                let gradients = [s.rows(p[6], s.C), s.rows(p[7], s.KV), s.rows(p[8], s.KV)].enumerated().map { $0.offset == skipped ? nil : $0.element }
                Attention.backward(
                    dQuery: gradients[0], dKey: gradients[1], dValue: gradients[2], accumulate: false,
                    dout: s.rows(p[5], s.C), probabilities: p[4], query: s.rows(p[0], s.C), key: s.rows(p[1], s.KV), value: s.rows(p[2], s.KV),
                    geometry: s.geometry, firstKey: s.first)
            }
            for i in 0..<3 {
                #expect(out[6 + i] == (i == skipped ? s.zeros(written[i].count) : written[i]), "gradient \(i) with gradient \(skipped) skipped")
            }
        }
    }

    /// Bitwise the same on every run, and the same whether the batch runs together (its key/value
    /// heads split across threads) or one sequence at a time.
    @Test func gradientsAreDeterministicWhateverTheSplit() {
        let s = GroupedShape(B: 4, T: 70, heads: 6, keyValueHeads: 2, headSize: 8, padded: true)
        var values = TestValues(seed: 32)
        let q = values.next(s.B * s.T * s.C).map(Float.init), k = values.next(s.B * s.T * s.KV).map(Float.init)
        let v = values.next(s.B * s.T * s.KV).map(Float.init), g = values.next(s.B * s.T * s.C).map(Float.init)
        let batched = s.backward(q, k, v, g)
        for run in 0..<3 {
            #expect(s.backward(q, k, v, g) == batched, "run \(run)")
        }
        let first = s.first!
        for b in 0..<s.B {
            let one = GroupedShape(B: 1, T: s.T, heads: s.heads, keyValueHeads: s.keyValueHeads, headSize: s.headSize, padded: false)
            func row(_ x: [Float], _ width: Int) -> [Float] { Array(x[(b * s.T * width)..<((b + 1) * s.T * width)]) }
            // The single sequence with the batch's padding of row b.
            let alone = withPointers([row(q, s.C), row(k, s.KV), row(v, s.KV), one.zeros(s.T * s.C), one.zeros(one.geometry.probabilityCount), row(g, s.C), one.zeros(s.T * s.C), one.zeros(s.T * s.KV), one.zeros(s.T * s.KV)]) { p in
                first.withUnsafeBufferPointer { f in
                    Attention.forward(
                        out: one.rows(p[3], s.C), probabilities: p[4], query: one.rows(p[0], s.C), key: one.rows(p[1], s.KV), value: one.rows(p[2], s.KV),
                        geometry: one.geometry, firstKey: f.baseAddress! + b)
                    Attention.backward(
                        dQuery: one.rows(p[6], s.C), dKey: one.rows(p[7], s.KV), dValue: one.rows(p[8], s.KV), accumulate: false,
                        dout: one.rows(p[5], s.C), probabilities: p[4], query: one.rows(p[0], s.C), key: one.rows(p[1], s.KV), value: one.rows(p[2], s.KV),
                        geometry: one.geometry, firstKey: f.baseAddress! + b)
                }
            }
            #expect(alone[6] == row(batched[0], s.C), "dq of sequence \(b)")
            #expect(alone[7] == row(batched[1], s.KV), "dk of sequence \(b)")
            #expect(alone[8] == row(batched[2], s.KV), "dv of sequence \(b)")
        }
    }

    /// Queries past..<T against cached keys 0..<T reproduce the full pass's last rows (the KV cache).
    @Test func decodingAgainstCachedSharedKeysReproducesTheFullPass() {
        let s = GroupedShape(B: 1, T: 37, heads: 6, keyValueHeads: 2, headSize: 4, padded: false)
        var values = TestValues(seed: 33)
        let q = values.next(s.T * s.C).map(Float.init), k = values.next(s.T * s.KV).map(Float.init), v = values.next(s.T * s.KV).map(Float.init)
        let full = s.forward(q, k, v)
        for past in [1, 17, 36] {
            let g = AttentionGeometry(batch: 1, heads: s.heads, headSize: s.headSize, queries: s.T - past, keys: s.T, queriesPerKeyValueHead: s.group)
            let out = withPointers([q, k, v, s.zeros((s.T - past) * s.C), s.zeros(g.probabilityCount)]) { p in
                Attention.forward(
                    out: StridedRows(base: p[3], rowStride: s.C, batchStride: 0), probabilities: p[4],
                    query: StridedRows(base: p[0] + past * s.C, rowStride: s.C, batchStride: 0),
                    key: StridedRows(base: p[1], rowStride: s.KV, batchStride: 0),
                    value: StridedRows(base: p[2], rowStride: s.KV, batchStride: 0),
                    geometry: g, firstKey: nil)
            }[3]
            expectClose(out, Array(full[(past * s.C)...]), Tolerance(relative: 1e-5, absolute: 1e-6), "queries from \(past) against the cache")
        }
    }
}
