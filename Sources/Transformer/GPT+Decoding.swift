// Inference with a KV cache: new tokens attend to the cached keys and values of earlier positions.
import Tensors

extension GPT {
    public func makeCache(batch: Int, capacity: Int, firstPosition: [Int32]?) -> KVCache {
        KVCache(layers: configuration.layers, width: configuration.width, batch: batch,
                capacity: min(capacity, configuration.contextLength), firstPosition: firstPosition)
    }

    /// Runs `input` (the next positions of every row) through the model, appending their keys
    /// and values to `cache`; returns the final hidden states of the new positions [B, T, C].
    /// Inference only: nothing is recorded.
    public func decode(_ input: TokenBatch, cache: KVCache) throws -> Tensor {
        try cache.checkRoom(for: input)
        let (T, C) = (input.time, configuration.width)
        let w = constantWeights
        let epsilon = configuration.layerNormEpsilon
        var x = try Tensor.embedding(tokens: input.tokens, positions: input.positions, tokenTable: w.tokenEmbedding, positionTable: w.positionEmbedding)
        for (i, block) in w.blocks.enumerated() {
            let names = BlockNames(i)
            let qkv = try project(
                x.layerNorm(weight: block.ln1Weight, bias: block.ln1Bias, epsilon: epsilon),
                names.attentionWeight, block.attentionWeight, bias: block.attentionBias, tape: nil)
            cache.append(layer: i, key: qkv.data + C, keyStride: 3 * C, value: qkv.data + 2 * C, valueStride: 3 * C, count: T)
            let attended = cache.attend(layer: i, query: qkv.data, queryStride: 3 * C, count: T, heads: configuration.heads, headSize: configuration.headSize)
            x = try x + project(attended, names.projectionWeight, block.projectionWeight, bias: block.projectionBias, tape: nil)
            x = try x + mlp(x, block, layer: i, tape: nil)
        }
        cache.length += T
        return try x.layerNorm(weight: w.finalNormWeight, bias: w.finalNormBias, epsilon: epsilon)
    }
}
