// Row-wise log-softmax read at given tokens (log-probabilities, cross-entropy) and the entropy of
// each row's distribution, fused so the [N, V] softmax is never stored. `scale` (> 0) multiplies
// the logits first: 1/temperature when sampling was tempered.
#if canImport(Glibc)
import Glibc
#endif

package enum LogSoftmax {
    /// logSumExp[i] = log Σ_j e^(scale·z[i, j]).
    @inline(__always)
    private static func logSumExp(_ z: UnsafePointer<Float>, _ V: Int, scale: Float) -> Float {
        let maximum = scale * RowMath.maximum(z, V)
        var acc = Vector8()
        var j = 0
        while j + 8 <= V {
            acc += VectorMath.exp(z.vector(at: j) * scale - maximum)
            j += 8
        }
        var total = acc.sum()
        while j < V {
            total += VectorMath.exp(z[j] * scale - maximum)
            j += 1
        }
        return maximum + log(total)
    }

    /// out[i] = scale·z[i, tokens[i]] − logSumExp[i]; rows whose token is negative are ignored
    /// (out 0). Saves logSumExp for backward.
    package static func tokenLogProbabilities(
        out: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>,
        logits z: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, scale: Float, rows N: Int, vocabulary V: Int
    ) {
        Parallel.forEachChunk(of: N, minimumChunk: Parallel.minimumRows(width: V)) { rows in
            for i in rows {
                let row = z + i * V
                lse[i] = logSumExp(row, V, scale: scale)
                let token = Int(tokens[i])
                out[i] = token < 0 ? 0 : scale * row[token] - lse[i]
            }
        }
    }

    /// dz[i, j] (+)= g[i]·scale·(1[j = token] − p[i, j]); ignored rows get nothing.
    package static func tokenLogProbabilitiesBackward(
        dLogits dz: UnsafeMutablePointer<Float>, accumulate: Bool, gradient g: UnsafePointer<Float>,
        logits z: UnsafePointer<Float>, logSumExp lse: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
        scale: Float, rows N: Int, vocabulary V: Int
    ) {
        Parallel.forEachChunk(of: N, minimumChunk: Parallel.minimumRows(width: V)) { rows in
            for i in rows {
                let row = z + i * V, out = dz + i * V
                let token = Int(tokens[i])
                if token < 0 {
                    if !accumulate { out.update(repeating: 0, count: V) }
                    continue
                }
                let factor = -g[i] * scale, shift = lse[i]
                var j = 0
                while j + 8 <= V {
                    var d = factor * VectorMath.exp(row.vector(at: j) * scale - shift)
                    if accumulate { d += out.vector(at: j) }
                    out.setVector(d, at: j)
                    j += 8
                }
                while j < V {
                    let d = factor * VectorMath.exp(row[j] * scale - shift)
                    out[j] = accumulate ? out[j] + d : d
                    j += 1
                }
                out[token] += g[i] * scale
            }
        }
    }

    /// out[i] = −Σ_j p[i, j]·log p[i, j] of softmax(scale·z[i]); saves logSumExp.
    package static func entropy(
        out: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>,
        logits z: UnsafePointer<Float>, scale: Float, rows N: Int, vocabulary V: Int
    ) {
        Parallel.forEachChunk(of: N, minimumChunk: Parallel.minimumRows(width: V)) { rows in
            for i in rows {
                let row = z + i * V
                let shift = logSumExp(row, V, scale: scale)
                lse[i] = shift
                var acc = Vector8()
                var j = 0
                while j + 8 <= V {
                    let scaled = row.vector(at: j) * scale
                    acc = acc.addingProduct(VectorMath.exp(scaled - shift), scaled)
                    j += 8
                }
                var expected = acc.sum()
                while j < V {
                    expected += VectorMath.exp(row[j] * scale - shift) * row[j] * scale
                    j += 1
                }
                out[i] = shift - expected
            }
        }
    }

    /// dz[i, j] (+)= −g[i]·scale·p[i, j]·(scale·z[i, j] − logSumExp[i] + H[i]).
    package static func entropyBackward(
        dLogits dz: UnsafeMutablePointer<Float>, accumulate: Bool, gradient g: UnsafePointer<Float>,
        logits z: UnsafePointer<Float>, logSumExp lse: UnsafePointer<Float>, entropy h: UnsafePointer<Float>,
        scale: Float, rows N: Int, vocabulary V: Int
    ) {
        Parallel.forEachChunk(of: N, minimumChunk: Parallel.minimumRows(width: V)) { rows in
            for i in rows {
                let row = z + i * V, out = dz + i * V
                let factor = -g[i] * scale, shift = lse[i], offset = h[i] - lse[i]
                var j = 0
                while j + 8 <= V {
                    let scaled = row.vector(at: j) * scale
                    var d = factor * VectorMath.exp(scaled - shift) * (scaled + offset)
                    if accumulate { d += out.vector(at: j) }
                    out.setVector(d, at: j)
                    j += 8
                }
                while j < V {
                    let scaled = row[j] * scale
                    let d = factor * VectorMath.exp(scaled - shift) * (scaled + offset)
                    out[j] = accumulate ? out[j] + d : d
                    j += 1
                }
            }
        }
    }
}
