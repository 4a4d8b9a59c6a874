// One Llama block's weights and its forward pass over a batch held in reusable scratch buffers.
import Checkpoints
import Kernels

/// A block's weights as [out, in] matrices (y = W·x, GGUF's layout); q, k and v are stacked into
/// one matrix so one product makes all three.
struct LlamaBlockWeights {
    let attentionNorm: [Float]
    /// [C + 2·KV, C]: the query rows, then the key rows, then the value rows.
    let queryKeyValue: [Float]
    let attentionOutput: [Float]
    let feedForwardNorm: [Float]
    let gate: [Float]
    let up: [Float]
    let down: [Float]

    init(_ file: GGUFFile, layer: Int, _ c: LlamaConfiguration) throws(CheckpointError) {
        func tensor(_ name: String, _ shape: [Int]) throws(CheckpointError) -> [Float] {
            try file.floats("blk.\(layer).\(name).weight", shape: shape)
        }
        attentionNorm = try tensor("attn_norm", [c.width])
        queryKeyValue = try tensor("attn_q", [c.width, c.width]) + tensor("attn_k", [c.keyValueWidth, c.width])
            + tensor("attn_v", [c.keyValueWidth, c.width])
        attentionOutput = try tensor("attn_output", [c.width, c.width])
        feedForwardNorm = try tensor("ffn_norm", [c.width])
        gate = try tensor("ffn_gate", [c.feedForwardWidth, c.width])
        up = try tensor("ffn_up", [c.feedForwardWidth, c.width])
        down = try tensor("ffn_down", [c.width, c.feedForwardWidth])
    }

    /// x ← x + attention(RMSNorm(x)); x ← x + SwiGLU(RMSNorm(x)).
    func apply(_ s: inout LlamaScratch, _ c: LlamaConfiguration, frequencies: [Float]) {
        let rows = s.batch * s.time, fused = c.width + 2 * c.keyValueWidth
        s.normalize(weight: attentionNorm, epsilon: c.rmsNormEpsilon)
        LlamaScratch.project(s.normalized, weight: queryKeyValue, into: &s.queryKeyValue, rows: rows, inputs: c.width)
        s.queryKeyValue.withUnsafeMutableBufferPointer { qkv in
            s.positions.withUnsafeBufferPointer { positions in
                RotaryEmbedding.rotate(qkv.baseAddress!, rowStride: fused, rows: rows, heads: c.heads, headSize: c.headSize,
                                       positions: positions.baseAddress!, frequencies: frequencies)
                RotaryEmbedding.rotate(qkv.baseAddress! + c.width, rowStride: fused, rows: rows, heads: c.keyValueHeads,
                                       headSize: c.headSize, positions: positions.baseAddress!, frequencies: frequencies)
            }
        }
        s.attend(c)
        s.addProduct(of: \.attended, inputs: c.width, weight: attentionOutput)
        s.normalize(weight: feedForwardNorm, epsilon: c.rmsNormEpsilon)
        LlamaScratch.project(s.normalized, weight: gate, into: &s.gate, rows: rows, inputs: c.width)
        LlamaScratch.project(s.normalized, weight: up, into: &s.up, rows: rows, inputs: c.width)
        s.up.withUnsafeBufferPointer { up in
            s.gate.withUnsafeMutableBufferPointer { SwiGLU.forward(gate: $0.baseAddress!, up: up.baseAddress!, count: $0.count) }
        }
        s.addProduct(of: \.gate, inputs: c.feedForwardWidth, weight: down)
    }
}

/// The activations of one forward pass of B sequences of T positions.
struct LlamaScratch {
    let batch: Int, time: Int, width: Int, heads: Int, keyValueHeads: Int
    /// The residual stream [B·T, C].
    var stream: [Float]
    var normalized: [Float]
    var queryKeyValue: [Float]
    var attended: [Float]
    var probabilities: [Float]
    var gate: [Float]
    var up: [Float]
    /// Position of every row: t for row b·T + t.
    let positions: [Int32]

    init(batch: Int, time: Int, _ c: LlamaConfiguration) {
        let rows = batch * time
        self.batch = batch
        self.time = time
        width = c.width
        heads = c.heads
        keyValueHeads = c.keyValueHeads
        stream = [Float](repeating: 0, count: rows * c.width)
        normalized = stream
        attended = stream
        queryKeyValue = [Float](repeating: 0, count: rows * (c.width + 2 * c.keyValueWidth))
        probabilities = [Float](repeating: 0, count: batch * c.heads * time * time)
        gate = [Float](repeating: 0, count: rows * c.feedForwardWidth)
        up = gate
        positions = (0..<rows).map { Int32($0 % time) }
    }

    /// The residual stream starts as the tokens' embedding rows (padding rows stay zero).
    mutating func embed(_ sequences: [[Int32]], table: [Float], width: Int) {
        for (b, sequence) in sequences.enumerated() {
            for (t, token) in sequence.enumerated() {
                let target = (b * time + t) * width, source = Int(token) * width
                stream.replaceSubrange(target..<(target + width), with: table[source..<(source + width)])
            }
        }
    }

    /// normalized ← RMSNorm(stream)·weight.
    mutating func normalize(weight: [Float], epsilon: Float) {
        let rows = batch * time, width = width
        stream.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                normalized.withUnsafeMutableBufferPointer { out in
                    RMSNorm.forward(out: out.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!,
                                    rows: rows, width: width, epsilon: epsilon)
                }
            }
        }
    }

    /// Causal grouped-query attention of the rotated q, k and v into `attended`.
    mutating func attend(_ c: LlamaConfiguration) {
        let fused = c.width + 2 * c.keyValueWidth
        let geometry = AttentionGeometry(batch: batch, heads: heads, headSize: c.headSize, queries: time, keys: time,
                                         queriesPerKeyValueHead: heads / keyValueHeads)
        queryKeyValue.withUnsafeMutableBufferPointer { qkv in
            attended.withUnsafeMutableBufferPointer { out in
                probabilities.withUnsafeMutableBufferPointer { p in
                    let base = qkv.baseAddress!, time = time
                    func rows(_ offset: Int) -> StridedRows { StridedRows(base: base + offset, rowStride: fused, batchStride: time * fused) }
                    Attention.forward(
                        out: StridedRows(base: out.baseAddress!, rowStride: width, batchStride: time * width), probabilities: p.baseAddress!,
                        query: rows(0), key: rows(c.width), value: rows(c.width + c.keyValueWidth), geometry: geometry, firstKey: nil)
                }
            }
        }
    }

    /// output[B·T, out] = input · weightᵀ, weight [out, inputs].
    static func project(_ input: [Float], weight: [Float], into output: inout [Float], rows: Int, inputs: Int) {
        input.withUnsafeBufferPointer { a in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { out in
                    MatrixProduct.multiply(m: rows, n: out.count / rows, k: inputs, a: a.baseAddress!, b: w.baseAddress!, transposeB: true, c: out.baseAddress!)
                }
            }
        }
    }

    /// stream += activations[B·T, inputs] · weightᵀ, weight [C, inputs].
    mutating func addProduct(of activations: KeyPath<LlamaScratch, [Float]>, inputs: Int, weight: [Float]) {
        let rows = batch * time, width = width
        let source = self[keyPath: activations]
        source.withUnsafeBufferPointer { a in
            weight.withUnsafeBufferPointer { w in
                stream.withUnsafeMutableBufferPointer { x in
                    MatrixProduct.multiply(m: rows, n: width, k: inputs, a: a.baseAddress!, b: w.baseAddress!, transposeB: true, c: x.baseAddress!, beta: 1)
                }
            }
        }
    }
}
