// Multi-head causal self-attention over a fused query/key/value projection.
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
