// Textbook loops for the layer kernels, written for clarity: references for tests and baselines
// for the benchmark, never used by models.

package enum NaiveLayers {
    /// y[n, o] = Σ_i x[n, i]·W[i, o] + b[o] with W [in, out].
    package static func linear<T: ReferenceScalar>(_ x: [T], _ w: [T], _ b: [T]?, rows: Int, inputs: Int, outputs: Int) -> [T] {
        var y = [T](repeating: 0, count: rows * outputs)
        for n in 0..<rows {
            for o in 0..<outputs {
                var total = b?[o] ?? 0
                for i in 0..<inputs { total += x[n * inputs + i] * w[i * outputs + o] }
                y[n * outputs + o] = total
            }
        }
        return y
    }

    package static func linearBackward<T: ReferenceScalar>(
        _ dy: [T], _ x: [T], _ w: [T], rows: Int, inputs: Int, outputs: Int
    ) -> (dx: [T], dw: [T], db: [T]) {
        var dx = [T](repeating: 0, count: rows * inputs), dw = [T](repeating: 0, count: inputs * outputs)
        var db = [T](repeating: 0, count: outputs)
        for n in 0..<rows {
            for o in 0..<outputs {
                let g = dy[n * outputs + o]
                db[o] += g
                for i in 0..<inputs {
                    dx[n * inputs + i] += g * w[i * outputs + o]
                    dw[i * outputs + o] += g * x[n * inputs + i]
                }
            }
        }
        return (dx, dw, db)
    }

    package static func layerNorm<T: ReferenceScalar>(_ x: [T], _ w: [T], _ b: [T], rows: Int, width C: Int, epsilon: T = 1e-5) -> [T] {
        var y = x
        for n in 0..<rows {
            let (mean, rstd) = statistics(x, row: n, width: C, epsilon: epsilon)
            for c in 0..<C { y[n * C + c] = (x[n * C + c] - mean) * rstd * w[c] + b[c] }
        }
        return y
    }

    package static func layerNormBackward<T: ReferenceScalar>(
        _ dy: [T], _ x: [T], _ w: [T], rows: Int, width C: Int, epsilon: T = 1e-5
    ) -> (dx: [T], dw: [T], db: [T]) {
        var dx = x, dw = [T](repeating: 0, count: C), db = [T](repeating: 0, count: C)
        for n in 0..<rows {
            let (mean, rstd) = statistics(x, row: n, width: C, epsilon: epsilon)
            var meanDnorm: T = 0, meanDot: T = 0
            for c in 0..<C {
                let normalized = (x[n * C + c] - mean) * rstd
                meanDnorm += dy[n * C + c] * w[c] / T(C)
                meanDot += dy[n * C + c] * w[c] * normalized / T(C)
                dw[c] += dy[n * C + c] * normalized
                db[c] += dy[n * C + c]
            }
            for c in 0..<C {
                let normalized = (x[n * C + c] - mean) * rstd
                dx[n * C + c] = (dy[n * C + c] * w[c] - meanDnorm - normalized * meanDot) * rstd
            }
        }
        return (dx, dw, db)
    }

    private static func statistics<T: ReferenceScalar>(_ x: [T], row n: Int, width C: Int, epsilon: T) -> (mean: T, rstd: T) {
        var mean: T = 0, variance: T = 0
        for c in 0..<C { mean += x[n * C + c] / T(C) }
        for c in 0..<C { variance += (x[n * C + c] - mean) * (x[n * C + c] - mean) / T(C) }
        return (mean, 1 / (variance + epsilon).squareRoot())
    }

    package static func gelu<T: ReferenceScalar>(_ x: [T]) -> [T] {
        x.map { v in
            let inner = T(0.797_884_560_802_865_4) * (v + T(0.044_715) * v * v * v)
            return T(0.5) * v * (1 + T.hyperbolicTangent(inner))
        }
    }

    package static func geluBackward<T: ReferenceScalar>(_ dy: [T], _ x: [T]) -> [T] {
        zip(dy, x).map { g, v in
            let s = T(0.797_884_560_802_865_4), k = T(0.044_715)
            let t = T.hyperbolicTangent(s * (v + k * v * v * v))
            return g * (T(0.5) * (1 + t) + T(0.5) * v * (1 - t * t) * s * (1 + 3 * k * v * v))
        }
    }

    /// out[i] = wte[tokens[i]] + wpe[positions[i]].
    package static func embedding<T: ReferenceScalar>(_ tokens: [Int32], _ positions: [Int32], _ wte: [T], _ wpe: [T], width C: Int) -> [T] {
        var out = [T](repeating: 0, count: tokens.count * C)
        for i in tokens.indices {
            for c in 0..<C { out[i * C + c] = wte[Int(tokens[i]) * C + c] + wpe[Int(positions[i]) * C + c] }
        }
        return out
    }

    package static func embeddingBackward<T: ReferenceScalar>(
        _ dout: [T], _ tokens: [Int32], _ positions: [Int32], vocabulary V: Int, positionCount P: Int, width C: Int
    ) -> (dwte: [T], dwpe: [T]) {
        var dwte = [T](repeating: 0, count: V * C), dwpe = [T](repeating: 0, count: P * C)
        for i in tokens.indices {
            for c in 0..<C {
                dwte[Int(tokens[i]) * C + c] += dout[i * C + c]
                dwpe[Int(positions[i]) * C + c] += dout[i * C + c]
            }
        }
        return (dwte, dwpe)
    }
}
