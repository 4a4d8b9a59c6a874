// Layer normalisation over the last axis (GPT-2's ln_1, ln_2, ln_f), forward and backward.

package enum LayerNorm {
    /// out = (x − mean) · rstd · weight + bias per row, rstd = 1/√(variance + epsilon); saves mean
    /// and rstd (N each) for backward.
    package static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        rows N: Int, width C: Int, epsilon: Float = 1e-5
    ) {
        Parallel.forEachChunk(of: N, minimumChunk: Parallel.minimumRows(width: C)) { rows in
            for i in rows {
                let row = x + i * C
                let m = RowMath.sum(row, C) / Float(C)
                let variance = RowMath.sumOfSquaredDeviations(row, C, from: m) / Float(C)
                let s = 1 / (variance + epsilon).squareRoot()
                mean[i] = m
                rstd[i] = s
                let y = out + i * C
                var c = 0
                while c + 8 <= C {
                    let normalized = (row.vector(at: c) - m) * s
                    y.setVector(bias.vector(at: c).addingProduct(normalized, weight.vector(at: c)), at: c)
                    c += 8
                }
                while c < C {
                    y[c] = (row[c] - m) * s * weight[c] + bias[c]
                    c += 1
                }
            }
        }
    }

    /// dx (+)= rstd · (dnorm − mean(dnorm) − norm · mean(dnorm · norm)) with dnorm = dout · weight;
    /// dweight += Σ dout · norm and dbias += Σ dout over rows (always accumulated: parameters).
    package static func backward(
        dInput dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows N: Int, width C: Int
    ) {
        let partials = PartialSums(chunks: Parallel.threadCount, width: 2 * C)
        defer { partials.deallocate() }
        Parallel.forEachIndexedChunk(of: N, minimumChunk: Parallel.minimumRows(width: C)) { rows, chunk in
            let sums = partials.row(chunk)
            for i in rows {
                let g = dout + i * C, row = x + i * C
                let m = mean[i], s = rstd[i]
                var dot = Vector8(), total = Vector8()
                var c = 0
                while c + 8 <= C {
                    let normalized = (row.vector(at: c) - m) * s
                    let dnorm = g.vector(at: c) * weight.vector(at: c)
                    total += dnorm
                    dot = dot.addingProduct(dnorm, normalized)
                    sums.setVector(sums.vector(at: c).addingProduct(g.vector(at: c), normalized), at: c)
                    sums.setVector(sums.vector(at: C + c) + g.vector(at: c), at: C + c)
                    c += 8
                }
                var dotSum = dot.sum(), totalSum = total.sum()
                while c < C {
                    let normalized = (row[c] - m) * s
                    let dnorm = g[c] * weight[c]
                    totalSum += dnorm
                    dotSum += dnorm * normalized
                    sums[c] += g[c] * normalized
                    sums[C + c] += g[c]
                    c += 1
                }
                guard let dx else { continue }
                let meanDnorm = totalSum / Float(C), meanDot = dotSum / Float(C)
                let out = dx + i * C
                c = 0
                while c + 8 <= C {
                    let normalized = (row.vector(at: c) - m) * s
                    var value = (g.vector(at: c) * weight.vector(at: c) - meanDnorm - normalized * meanDot) * s
                    if accumulateInput { value += out.vector(at: c) }
                    out.setVector(value, at: c)
                    c += 8
                }
                while c < C {
                    let normalized = (row[c] - m) * s
                    let value = (g[c] * weight[c] - meanDnorm - normalized * meanDot) * s
                    out[c] = accumulateInput ? out[c] + value : value
                    c += 1
                }
            }
        }
        partials.reduce(into: dWeight, columns: 0..<C)
        partials.reduce(into: dBias, columns: C..<(2 * C))
    }
}
