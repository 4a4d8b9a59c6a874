// Inference with a KV cache: new tokens attend to the cached keys and values of earlier positions.
import Kernels
import Tensors

extension GPT {
    /// Runs `input` (the next positions of every row) through the model, appending their keys
    /// and values to `cache`; returns the final hidden states of the new positions [B, T, C].
    /// Inference only: nothing is recorded.
    public func decode(_ input: TokenBatch, cache: KVCache) throws -> Tensor {
        let (B, T, C) = (input.batch, input.time, configuration.width)
        guard B == cache.batch, cache.length + T <= cache.capacity else {
            throw TensorError.invalidShape(operation: "decode", [B, T], expected: "\(cache.batch) rows and at most \(cache.capacity - cache.length) new positions for the cache")
        }
        let w = constantWeights
        let epsilon = configuration.layerNormEpsilon
        var x = try Tensor.embedding(tokens: input.tokens, positions: input.positions, tokenTable: w.tokenEmbedding, positionTable: w.positionEmbedding)
        for (i, block) in w.blocks.enumerated() {
            let qkv = try x.layerNorm(weight: block.ln1Weight, bias: block.ln1Bias, epsilon: epsilon)
                .linear(block.attentionWeight, bias: block.attentionBias)
            cache.append(layer: i, qkv: qkv.data, count: T)
            let attended = cachedAttention(qkv, layer: i, cache: cache, batch: B, time: T, width: C)
            x = try x + attended.linear(block.projectionWeight, bias: block.projectionBias)
            x = try x + mlp(x, block)
        }
        cache.length += T
        return try x.layerNorm(weight: w.finalNormWeight, bias: w.finalNormBias, epsilon: epsilon)
    }

    /// The new queries of `qkv` [B, T, 3C] against every cached key, including their own.
    private func cachedAttention(_ qkv: Tensor, layer: Int, cache: KVCache, batch B: Int, time T: Int, width C: Int) -> Tensor {
        let geometry = AttentionGeometry(batch: B, heads: configuration.heads, headSize: configuration.headSize, queries: T, keys: cache.length + T)
        let out = Tensor(uninitialized: [B, T, C])
        let probabilities = TensorStorage(count: geometry.probabilityCount)
        let cacheStride = cache.capacity * C
        Tensor.withOptionalPointer(cache.firstPosition) { first in
            Attention.forward(
                out: StridedRows(base: out.data, rowStride: C, batchStride: T * C), probabilities: probabilities.pointer,
                query: StridedRows(base: qkv.data, rowStride: 3 * C, batchStride: T * 3 * C),
                key: StridedRows(base: cache.keys[layer].pointer, rowStride: C, batchStride: cacheStride),
                value: StridedRows(base: cache.values[layer].pointer, rowStride: C, batchStride: cacheStride),
                geometry: geometry, firstKey: first)
        }
        return out
    }
}
