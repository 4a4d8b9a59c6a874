// Multi-head causal self-attention: over GPT-2's fused query/key/value projection, and
// grouped-query attention over Llama's separate ones.
import Kernels

extension Tensor {
    /// Causal self-attention: self is qkv [B, T, 3C] (queries, keys, values side by side, as GPT-2's
    /// c_attn produces them) and the result is [B, T, C]. `firstPosition[b]`, when given, is the
    /// first real position of row b: earlier positions are left padding that no query attends to.
    public func causalSelfAttention(heads: Int, firstPosition: [Int32]? = nil) throws -> Tensor {
        let operation = "causalSelfAttention"
        guard shape.rank == 3, shape[2] % 3 == 0, heads > 0, (shape[2] / 3) % heads == 0 else {
            throw TensorError.invalidShape(operation: operation, shape, expected: "qkv [B, T, 3C] with C divisible by \(heads) heads")
        }
        let (B, T, C) = (shape[0], shape[1], shape[2] / 3)
        if let firstPosition, firstPosition.count != B {
            throw TensorError.countMismatch(operation: "\(operation) (firstPosition)", shape: [B], count: firstPosition.count)
        }
        let geometry = AttentionGeometry(batch: B, heads: heads, headSize: C / heads, queries: T, keys: T)
        let out = Tensor(uninitialized: [B, T, C])
        let probabilities = TensorStorage(count: geometry.probabilityCount)
        let (q, k, v) = Self.qkvRows(data, T: T, C: C)
        let outRows = StridedRows(base: out.data, rowStride: C, batchStride: T * C)
        Self.withOptionalPointer(firstPosition) { first in
            Attention.forward(
                out: outRows, probabilities: probabilities.pointer, query: q, key: k, value: v,
                geometry: geometry, firstKey: first)
        }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dqkv, accumulate in
                    let (dq, dk, dv) = Self.qkvRows(dqkv, T: T, C: C)
                    Self.withOptionalPointer(firstPosition) { first in
                        Attention.backward(
                            dQuery: dq, dKey: dk, dValue: dv, accumulate: accumulate,
                            dout: StridedRows(base: UnsafeMutablePointer(mutating: dout), rowStride: C, batchStride: T * C),
                            probabilities: probabilities.pointer, query: q, key: k, value: v,
                            geometry: geometry, firstKey: first)
                    }
                }
            }
        }
        return out
    }

    /// Causal grouped-query attention over separate projections: query [B, T, heads·D], key and
    /// value [B, T, keyValueHeads·D]; query head h reads key/value head h / (heads / keyValueHeads).
    /// The result is [B, T, heads·D]. `firstPosition` marks left padding as in `causalSelfAttention`.
    public static func groupedQueryAttention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, keyValueHeads: Int, firstPosition: [Int32]? = nil
    ) throws -> Tensor {
        let (B, T, C, D, KV) = try groupedAttentionShapes(
            operation: "groupedQueryAttention", query: query, key: key, value: value, heads: heads, keyValueHeads: keyValueHeads,
            firstPosition: firstPosition)
        let geometry = AttentionGeometry(
            batch: B, heads: heads, headSize: D, queries: T, keys: T, queriesPerKeyValueHead: heads / keyValueHeads)
        let out = Tensor(uninitialized: [B, T, C])
        let probabilities = TensorStorage(count: geometry.probabilityCount)
        func rows(_ base: UnsafeMutablePointer<Float>, _ width: Int) -> StridedRows {
            StridedRows(base: base, rowStride: width, batchStride: T * width)
        }
        withOptionalPointer(firstPosition) { first in
            Attention.forward(
                out: rows(out.data, C), probabilities: probabilities.pointer,
                query: rows(query.data, C), key: rows(key.data, KV), value: rows(value.data, KV),
                geometry: geometry, firstKey: first)
        }
        if let tape = Tape.recording(query, key, value) {
            out.record(on: tape) { dout in
                Tensor.withGradients(of: [query, key, value]) { gradients, accumulate in
                    withOptionalPointer(firstPosition) { first in
                        Attention.backward(
                            dQuery: gradients[0].map { rows($0, C) }, dKey: gradients[1].map { rows($0, KV) },
                            dValue: gradients[2].map { rows($0, KV) }, accumulate: accumulate,
                            dout: rows(UnsafeMutablePointer(mutating: dout), C), probabilities: probabilities.pointer,
                            query: rows(query.data, C), key: rows(key.data, KV), value: rows(value.data, KV),
                            geometry: geometry, firstKey: first)
                    }
                }
            }
        }
        return out
    }

    /// (B, T, C, D, KV) of query [B, T, C = heads·D] with key and value [B, T, KV =
    /// keyValueHeads·D], the shapes and `firstPosition` (one per row, each in 0...T) checked.
    static func groupedAttentionShapes(
        operation: String, query: Tensor, key: Tensor, value: Tensor, heads: Int, keyValueHeads: Int, firstPosition: [Int32]?
    ) throws -> (Int, Int, Int, Int, Int) {
        guard query.shape.rank == 3, heads > 0, keyValueHeads > 0, heads % keyValueHeads == 0, query.shape[2] % heads == 0 else {
            throw TensorError.invalidShape(
                operation: operation, query.shape,
                expected: "query [B, T, heads·D] with \(heads) heads in groups over \(keyValueHeads) key/value heads")
        }
        let (B, T, C) = (query.shape[0], query.shape[1], query.shape[2])
        let D = C / heads, KV = keyValueHeads * D
        for (name, tensor) in [("key", key), ("value", value)] where tensor.shape != [B, T, KV] {
            throw TensorError.shapeMismatch(
                operation: "\(operation) (\(name))", query.shape, tensor.shape,
                expected: "\(name) [\(B), \(T), \(KV)]: \(keyValueHeads) heads of the query's head size \(D)")
        }
        if let firstPosition {
            guard firstPosition.count == B else {
                throw TensorError.countMismatch(operation: "\(operation) (firstPosition)", shape: [B], count: firstPosition.count)
            }
            if let bad = firstPosition.first(where: { $0 < 0 || Int($0) > T }) {
                throw TensorError.indexOutOfRange(operation: "\(operation) (firstPosition)", index: Int(bad), bound: T + 1)
            }
        }
        return (B, T, C, D, KV)
    }

    /// The query, key and value column blocks of a [B, T, 3C] buffer.
    package static func qkvRows(_ base: UnsafeMutablePointer<Float>, T: Int, C: Int) -> (StridedRows, StridedRows, StridedRows) {
        (StridedRows(base: base, rowStride: 3 * C, batchStride: T * 3 * C),
         StridedRows(base: base + C, rowStride: 3 * C, batchStride: T * 3 * C),
         StridedRows(base: base + 2 * C, rowStride: 3 * C, batchStride: T * 3 * C))
    }

    package static func withOptionalPointer<R>(_ values: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
