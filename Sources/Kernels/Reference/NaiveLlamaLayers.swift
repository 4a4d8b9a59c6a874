// Llama's layers as textbook loops, with their gradients written out by hand: the references the
// fused RMSNorm, rotate-half RoPE and SwiGLU kernels are checked and timed against.
import Foundation

package enum NaiveLlamaLayers {
    /// y = x / √(mean(x²) + ε) · w per row.
    package static func rmsNorm<T: ReferenceScalar>(_ x: [T], _ w: [T], rows: Int, width C: Int, epsilon: T = 1e-5) -> [T] {
        var y = x
        for n in 0..<rows {
            let rstd = reciprocalRootMeanSquare(x, row: n, width: C, epsilon: epsilon)
            for c in 0..<C { y[n * C + c] = x[n * C + c] * rstd * w[c] }
        }
        return y
    }

    /// dx_j = Σ_c dy_c·w_c·∂(x_c·r)/∂x_j with ∂r/∂x_j = −r³·x_j/C; dw_c = Σ_rows dy_c·x_c·r.
    package static func rmsNormBackward<T: ReferenceScalar>(
        _ dy: [T], _ x: [T], _ w: [T], rows: Int, width C: Int, epsilon: T = 1e-5
    ) -> (dx: [T], dw: [T]) {
        var dx = [T](repeating: 0, count: x.count), dw = [T](repeating: 0, count: C)
        for n in 0..<rows {
            let r = reciprocalRootMeanSquare(x, row: n, width: C, epsilon: epsilon)
            for c in 0..<C {
                let g = dy[n * C + c] * w[c]
                dw[c] += dy[n * C + c] * x[n * C + c] * r
                for j in 0..<C {
                    let direct: T = j == c ? r : 0
                    dx[n * C + j] += g * (direct - x[n * C + c] * r * r * r * x[n * C + j] / T(C))
                }
            }
        }
        return (dx, dw)
    }

    private static func reciprocalRootMeanSquare<T: ReferenceScalar>(_ x: [T], row n: Int, width C: Int, epsilon: T) -> T {
        var meanSquare: T = 0
        for c in 0..<C { meanSquare += x[n * C + c] * x[n * C + c] / T(C) }
        return 1 / (meanSquare + epsilon).squareRoot()
    }

    /// Rotate-half RoPE on rows of `heads` heads of D values: the pair (x[i], x[i + D/2]) of row r
    /// turns by positions[r]·frequencies[i].
    package static func rotaryEmbedding<T: ReferenceScalar>(
        _ x: [T], heads: Int, headSize D: Int, positions: [Int32], frequencies: [Float]
    ) -> [T] {
        var y = x
        forEachPair(rows: positions.count, heads: heads, headSize: D, positions: positions, frequencies: frequencies) { i, j, c, s in
            y[i] = x[i] * c - x[j] * s
            y[j] = x[j] * c + x[i] * s
        }
        return y
    }

    /// The transpose of each pair's rotation matrix [[c, −s], [s, c]] applied to dy.
    package static func rotaryEmbeddingBackward<T: ReferenceScalar>(
        _ dy: [T], heads: Int, headSize D: Int, positions: [Int32], frequencies: [Float]
    ) -> [T] {
        var dx = dy
        forEachPair(rows: positions.count, heads: heads, headSize: D, positions: positions, frequencies: frequencies) { i, j, c, s in
            dx[i] = c * dy[i] + s * dy[j]
            dx[j] = -s * dy[i] + c * dy[j]
        }
        return dx
    }

    /// Calls body(index of x[i], index of x[i + D/2], cos, sin) for every pair of every head.
    private static func forEachPair<T: ReferenceScalar>(
        rows: Int, heads: Int, headSize D: Int, positions: [Int32], frequencies: [Float], _ body: (Int, Int, T, T) -> Void
    ) {
        for r in 0..<rows {
            for h in 0..<heads {
                for i in 0..<(D / 2) {
                    let angle = Double(positions[r]) * Double(frequencies[i])
                    let at = (r * heads + h) * D + i
                    body(at, at + D / 2, T(cos(angle)), T(sin(angle)))
                }
            }
        }
    }

    /// silu(g)·u = g·u / (1 + e^(−g)).
    package static func swiGLU<T: ReferenceScalar>(_ gate: [T], _ up: [T]) -> [T] {
        zip(gate, up).map { g, u in g * u / (1 + T.exponential(-g)) }
    }

    package static func swiGLUBackward<T: ReferenceScalar>(_ dy: [T], _ gate: [T], _ up: [T]) -> (dGate: [T], dUp: [T]) {
        var dGate = gate, dUp = up
        for i in gate.indices {
            let sigmoid = 1 / (1 + T.exponential(-gate[i]))
            dGate[i] = dy[i] * up[i] * sigmoid * (1 + gate[i] * (1 - sigmoid))
            dUp[i] = dy[i] * gate[i] * sigmoid
        }
        return (dGate, dUp)
    }
}
