// Llama inference with a KV cache: the rotated keys and values of each new position are cached
// per layer (key/value heads only: grouped-query attention caches 3× less than full heads here).
import Tensors

extension Llama {
    public func makeCache(batch: Int, capacity: Int, firstPosition: [Int32]?) -> KVCache {
        KVCache(layers: configuration.layers, width: configuration.keyValueWidth, batch: batch,
                capacity: min(capacity, configuration.contextLength), firstPosition: firstPosition)
    }

    public func decode(_ input: TokenBatch, cache: KVCache) throws -> Tensor {
        try cache.checkRoom(for: input)
        let c = configuration, count = input.time
        let hidden = try forward(input, tape: nil) { layer, query, key, value in
            cache.append(layer: layer, key: key.data, keyStride: c.keyValueWidth, value: value.data, valueStride: c.keyValueWidth, count: count)
            return cache.attend(layer: layer, query: query.data, queryStride: c.width, count: count, heads: c.heads, headSize: c.headSize)
        }
        cache.length += count
        return hidden
    }

    public func decode(_ input: TokenBatch, after prefix: [Int32], cache: KVCache) throws -> Tensor {
        guard !prefix.isEmpty else { return try decode(input, cache: cache) }
        guard cache.length == 0 else {
            throw TensorError.invalidShape(operation: "decode (after a shared prefix)", [cache.length], expected: "an empty cache")
        }
        try cache.checkRoom(for: input, prefix: prefix.count)
        let hidden = try forward(input, after: prefix, tape: nil, cache: cache)
        cache.length = prefix.count + input.time
        return hidden
    }
}
