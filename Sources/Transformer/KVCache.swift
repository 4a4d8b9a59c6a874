// Keys and values of every layer for the positions already processed, so each new token costs
// one position's work instead of a pass over the whole sequence.
import Kernels
import Tensors

public final class KVCache {
    public let batch: Int
    /// Positions the cache can hold.
    public let capacity: Int
    /// Floats per position of one layer's keys (and of its values): the model width for GPT-2,
    /// key/value heads × head size for grouped-query attention.
    let width: Int
    /// Per layer, [B, capacity, width] each.
    let keys: [TensorStorage]
    let values: [TensorStorage]
    /// Positions filled so far (shared by every row: rows are aligned by left padding).
    public internal(set) var length = 0
    /// First real position of each row; nil when no row is padded.
    public let firstPosition: [Int32]?

    public init(layers: Int, width: Int, batch: Int, capacity: Int, firstPosition: [Int32]? = nil) {
        self.batch = batch
        self.capacity = capacity
        self.width = width
        let floats = batch * capacity * width
        // Zeroed: a row padded past a shared prefix leaves positions unwritten, and attention that
        // weighs them by 0 would still turn a stale NaN there into a NaN output.
        keys = (0..<layers).map { _ in TensorStorage(repeating: 0, count: floats) }
        values = (0..<layers).map { _ in TensorStorage(repeating: 0, count: floats) }
        self.firstPosition = firstPosition
    }

    /// Throws unless `input` (after `prefix` positions) has one row per cached row and fits in the space left.
    func checkRoom(for input: TokenBatch, prefix: Int = 0) throws {
        guard input.batch == batch, length + prefix + input.time <= capacity else {
            throw TensorError.invalidShape(
                operation: "decode", [input.batch, prefix + input.time],
                expected: "\(batch) rows and at most \(capacity - length) new positions for the cache")
        }
    }

    /// Copies the keys and values of `count` new positions of every row: row t of batch b is at
    /// `key + (b·count + t)·keyStride` (and likewise for values).
    func append(layer: Int, key: UnsafePointer<Float>, keyStride: Int, value: UnsafePointer<Float>, valueStride: Int, count: Int) {
        write(layer: layer, key: key, keyStride: keyStride, value: value, valueStride: valueStride, count: count) { _ in length }
    }

    /// Copies `count` positions of keys and values into each row b from position `start(b)` on:
    /// row b's own from `key + b·count·keyStride`, or, `sharedByRows`, the one row at `key` into
    /// every row (and likewise for values).
    func write(
        layer: Int, key: UnsafePointer<Float>, keyStride: Int, value: UnsafePointer<Float>, valueStride: Int, count: Int,
        sharedByRows: Bool = false, from start: (Int) -> Int
    ) {
        for b in 0..<batch {
            for t in 0..<count {
                let row = (b * capacity + start(b) + t) * width, source = (sharedByRows ? 0 : b * count) + t
                (keys[layer].pointer + row).update(from: key + source * keyStride, count: width)
                (values[layer].pointer + row).update(from: value + source * valueStride, count: width)
            }
        }
    }

    /// Attention of `count` new queries per row (at `query`, rows `queryStride` apart, `heads`
    /// heads of `headSize`) to every cached position including the new ones, which `append`
    /// must already hold: [B, count, heads·headSize]. One new position (a decoding step) of
    /// grouped-query attention takes the fused single-query kernel, a prompt the blocked one;
    /// GPT-2 keeps the blocked kernel, whose summation order the demo's published results came from.
    func attend(layer: Int, query: UnsafeMutablePointer<Float>, queryStride: Int, count: Int, heads: Int, headSize: Int) -> Tensor {
        let outWidth = heads * headSize
        let geometry = AttentionGeometry(
            batch: batch, heads: heads, headSize: headSize, queries: count, keys: length + count,
            queriesPerKeyValueHead: heads / (width / headSize))
        let out = Tensor(uninitialized: [batch, count, outWidth])
        let cacheStride = capacity * width
        let outRows = StridedRows(base: out.data, rowStride: outWidth, batchStride: count * outWidth)
        let queryRows = StridedRows(base: query, rowStride: queryStride, batchStride: count * queryStride)
        let keyRows = StridedRows(base: keys[layer].pointer, rowStride: width, batchStride: cacheStride)
        let valueRows = StridedRows(base: values[layer].pointer, rowStride: width, batchStride: cacheStride)
        Tensor.withOptionalPointer(firstPosition) { first in
            if count == 1, geometry.queriesPerKeyValueHead > 1 {
                Attention.decodingForward(out: outRows, query: queryRows, key: keyRows, value: valueRows, geometry: geometry, firstKey: first)
            } else {
                let probabilities = TensorStorage(count: geometry.probabilityCount)
                Attention.forward(
                    out: outRows, probabilities: probabilities.pointer, query: queryRows, key: keyRows, value: valueRows,
                    geometry: geometry, firstKey: first)
            }
        }
        return out
    }
}
