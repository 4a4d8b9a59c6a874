// Keys and values of every layer for the positions already processed, so each new token costs
// one position's work instead of a pass over the whole sequence.
import Tensors

public final class KVCache {
    public let batch: Int
    /// Positions the cache can hold.
    public let capacity: Int
    let width: Int
    /// Per layer, [B, capacity, C] each.
    let keys: [TensorStorage]
    let values: [TensorStorage]
    /// Positions filled so far (shared by every row: rows are aligned by left padding).
    public internal(set) var length = 0
    /// First real position of each row; nil when no row is padded.
    public let firstPosition: [Int32]?

    public init(configuration: GPTConfiguration, batch: Int, capacity: Int, firstPosition: [Int32]? = nil) {
        self.batch = batch
        self.capacity = min(capacity, configuration.contextLength)
        width = configuration.width
        let floats = batch * self.capacity * configuration.width
        keys = (0..<configuration.layers).map { _ in TensorStorage(count: floats) }
        values = (0..<configuration.layers).map { _ in TensorStorage(count: floats) }
        self.firstPosition = firstPosition
    }

    /// Copies the keys and values of `count` new positions out of a fused qkv buffer [B, count, 3C].
    func append(layer: Int, qkv: UnsafePointer<Float>, count: Int) {
        let C = width
        for b in 0..<batch {
            for t in 0..<count {
                let source = qkv + (b * count + t) * 3 * C
                let row = (b * capacity + length + t) * C
                (keys[layer].pointer + row).update(from: source + C, count: C)
                (values[layer].pointer + row).update(from: source + 2 * C, count: C)
            }
        }
    }
}
