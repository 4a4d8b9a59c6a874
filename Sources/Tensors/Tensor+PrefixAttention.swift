// Grouped-query attention of rows that all continue one shared prefix: the prefix's keys and
// values are computed once ([1, P, KV]) and every row's queries see them before the row's own
// keys, as if each row carried the prefix itself. The backward pass sums the rows' gradients
// of the shared keys and values into the prefix's. Chat prompts share their template's system
// message and user header, so training and scoring read those tokens once per batch, not once
// per row.
import Kernels

extension Tensor {
    /// Attention of query [B, S, heads·D] over `sharedKey`/`sharedValue` [1, P, keyValueHeads·D]
    /// followed by key/value [B, S, keyValueHeads·D]; query t sees all P shared keys and its
    /// row's keys up to t, from `firstPosition[b]` on (earlier ones are the row's left padding).
    /// The result is [B, S, heads·D].
    public static func groupedQueryAttention(
        query: Tensor, key: Tensor, value: Tensor, sharedKey: Tensor, sharedValue: Tensor,
        heads: Int, keyValueHeads: Int, firstPosition: [Int32]? = nil
    ) throws -> Tensor {
        let operation = "groupedQueryAttention (shared prefix)"
        let (B, S, C, D, KV) = try groupedAttentionShapes(
            operation: operation, query: query, key: key, value: value, heads: heads, keyValueHeads: keyValueHeads, firstPosition: firstPosition)
        guard sharedKey.shape.rank == 3, sharedKey.shape[0] == 1, sharedKey.shape[2] == KV, sharedValue.shape == sharedKey.shape else {
            throw TensorError.shapeMismatch(
                operation: "\(operation) (shared key and value)", sharedKey.shape, sharedValue.shape, expected: "both [1, P, \(KV)]")
        }
        let P = sharedKey.shape[1], keys = P + S
        let first = firstPosition?.map { $0 + Int32(P) }
        let geometry = AttentionGeometry(
            batch: B, heads: heads, headSize: D, queries: S, keys: keys, queriesPerKeyValueHead: heads / keyValueHeads, sharedKeys: P)
        // Each row's keys and values laid out as one sequence: the shared prefix, then its own.
        let allKeys = TensorStorage(count: B * keys * KV), allValues = TensorStorage(count: B * keys * KV)
        for (whole, shared, own) in [(allKeys, sharedKey, key), (allValues, sharedValue, value)] {
            for b in 0..<B {
                let row = whole.pointer + b * keys * KV
                row.update(from: shared.data, count: P * KV)
                (row + P * KV).update(from: own.data + b * S * KV, count: S * KV)
            }
        }
        func rows(_ base: UnsafeMutablePointer<Float>, _ width: Int, _ time: Int) -> StridedRows {
            StridedRows(base: base, rowStride: width, batchStride: time * width)
        }
        let out = Tensor(uninitialized: [B, S, C])
        let probabilities = TensorStorage(count: geometry.probabilityCount)
        withOptionalPointer(first) { first in
            Attention.forward(
                out: rows(out.data, C, S), probabilities: probabilities.pointer,
                query: rows(query.data, C, S), key: rows(allKeys.pointer, KV, keys), value: rows(allValues.pointer, KV, keys),
                geometry: geometry, firstKey: first)
        }
        if let tape = Tape.recording([query, key, value, sharedKey, sharedValue]) {
            out.record(on: tape) { dout in
                let keyGradients = [key, value, sharedKey, sharedValue].map(\.requiresGradient)
                // Zeroed: the kernel adds into them when the query's gradient is added to.
                let dAllKeys = keyGradients[0] || keyGradients[2] ? TensorStorage(repeating: 0, count: B * keys * KV) : nil
                let dAllValues = keyGradients[1] || keyGradients[3] ? TensorStorage(repeating: 0, count: B * keys * KV) : nil
                query.withGradientIfRequired { dQuery, accumulate in
                    withOptionalPointer(first) { first in
                        Attention.backward(
                            dQuery: dQuery.map { rows($0, C, S) }, dKey: dAllKeys.map { rows($0.pointer, KV, keys) },
                            dValue: dAllValues.map { rows($0.pointer, KV, keys) }, accumulate: accumulate,
                            dout: rows(UnsafeMutablePointer(mutating: dout), C, S), probabilities: probabilities.pointer,
                            query: rows(query.data, C, S), key: rows(allKeys.pointer, KV, keys), value: rows(allValues.pointer, KV, keys),
                            geometry: geometry, firstKey: first)
                    }
                }
                for (whole, shared, own) in [(dAllKeys, sharedKey, key), (dAllValues, sharedValue, value)] {
                    guard let whole else { continue }
                    own.withGradientIfRequired { dOwn, accumulate in
                        guard let dOwn else { return }
                        for b in 0..<B {
                            store(whole.pointer + b * keys * KV + P * KV, into: dOwn + b * S * KV, count: S * KV, accumulate: accumulate)
                        }
                    }
                    // Rows add into the prefix's gradient in row order, whatever the thread count.
                    shared.withGradientIfRequired { dShared, accumulate in
                        guard let dShared else { return }
                        for b in 0..<B {
                            store(whole.pointer + b * keys * KV, into: dShared, count: P * KV, accumulate: accumulate || b > 0)
                        }
                    }
                }
            }
        }
        return out
    }

    /// target ← source, or target += source when `accumulate`.
    private static func store(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool) {
        if accumulate {
            for i in 0..<count { target[i] += source[i] }
        } else {
            target.update(from: source, count: count)
        }
    }
}
