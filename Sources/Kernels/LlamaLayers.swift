// The three layers Llama has where GPT-2 has others, for inference: RMSNorm (no centring, no
// bias), rotary position embedding on adjacent pairs (llama.cpp's layout of Q and K), and the
// SwiGLU gate silu(g)·u.
import Foundation

package enum RMSNorm {
    /// out[i] = x[i] / √(mean(x²) + ε) · weight, per row of `width` values.
    package static func forward(
        out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        rows: Int, width: Int, epsilon: Float
    ) {
        Parallel.forEachChunk(of: rows, minimumChunk: Parallel.minimumRows(width: width)) { chunk in
            for row in chunk {
                let source = x + row * width, target = out + row * width
                let meanSquare = RowMath.sumOfSquaredDeviations(source, width, from: 0) / Float(width)
                let scale = 1 / (meanSquare + epsilon).squareRoot()
                var i = 0
                while i + 8 <= width {
                    target.setVector(source.vector(at: i) * scale * weight.vector(at: i), at: i)
                    i += 8
                }
                while i < width {
                    target[i] = source[i] * scale * weight[i]
                    i += 1
                }
            }
        }
    }
}

package enum RotaryEmbedding {
    /// The angles' frequencies θ_i = base^(−2i/headSize), i < headSize/2.
    package static func frequencies(headSize: Int, base: Double) -> [Float] {
        (0..<(headSize / 2)).map { Float(Foundation.pow(base, -2 * Double($0) / Double(headSize))) }
    }

    /// Rotates, in place, each adjacent pair (x[2i], x[2i+1]) of every head of every row by
    /// position·θ_i. Row r of `rows` holds `heads` heads of `headSize` values at `rowStride`,
    /// and sits at position `positions[r]`.
    package static func rotate(
        _ base: UnsafeMutablePointer<Float>, rowStride: Int, rows: Int, heads: Int, headSize: Int,
        positions: UnsafePointer<Int32>, frequencies: [Float]
    ) {
        frequencies.withUnsafeBufferPointer { theta in
            Parallel.forEachChunk(of: rows, minimumChunk: max(1, 4096 / max(heads * headSize, 1))) { chunk in
                var cosines = [Float](repeating: 0, count: headSize / 2), sines = cosines
                for row in chunk {
                    let position = Double(positions[row])
                    for i in 0..<(headSize / 2) {
                        // In Double: position·θ reaches thousands of radians in long contexts.
                        let angle = position * Double(theta[i])
                        cosines[i] = Float(Foundation.cos(angle))
                        sines[i] = Float(Foundation.sin(angle))
                    }
                    for head in 0..<heads {
                        let x = base + row * rowStride + head * headSize
                        for i in 0..<(headSize / 2) {
                            let (a, b) = (x[2 * i], x[2 * i + 1])
                            x[2 * i] = a * cosines[i] - b * sines[i]
                            x[2 * i + 1] = a * sines[i] + b * cosines[i]
                        }
                    }
                }
            }
        }
    }
}

package enum SwiGLU {
    /// gate[i] ← silu(gate[i])·up[i] = gate[i]·up[i] / (1 + e^(−gate[i])), in place.
    package static func forward(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(of: count / 8, minimumChunk: 2048) { blocks in
            for block in blocks {
                let g = gate.vector(at: block * 8)
                gate.setVector(g * up.vector(at: block * 8) / (1 + VectorMath.exp(-g)), at: block * 8)
            }
        }
        for i in (count / 8 * 8)..<count {
            gate[i] = gate[i] * up[i] / (1 + VectorMath.exp(-gate[i]))
        }
    }
}
