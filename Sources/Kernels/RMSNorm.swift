// Llama's normalisation: each row scaled by its reciprocal root mean square, no centring, no
// bias. y = x·r·w with r = 1/√(mean(x²) + ε), for inference and training.

package enum RMSNorm {
    /// out[i] = x[i] · rstd · weight[i] per row of `width` values, rstd = 1/√(mean(x²) + ε);
    /// saves rstd (one per row) for backward when given.
    package static func forward(
        out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>? = nil,
        input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, width: Int, epsilon: Float
    ) {
        Parallel.forEachChunk(of: rows, minimumChunk: Parallel.minimumRows(width: width)) { chunk in
            for row in chunk {
                let source = x + row * width, target = out + row * width
                let meanSquare = RowMath.sumOfSquaredDeviations(source, width, from: 0) / Float(width)
                let scale = 1 / (meanSquare + epsilon).squareRoot()
                rstd?[row] = scale
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

    /// With n = x·rstd and d = dout·weight: dx (+)= rstd·(d − n·mean(d·n)); dweight += Σ dout·n
    /// over rows (always accumulated: a parameter).
    package static func backward(
        dInput dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool, dWeight: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        rstd: UnsafePointer<Float>, rows N: Int, width C: Int
    ) {
        let partials = PartialSums(chunks: Parallel.threadCount, width: C)
        defer { partials.deallocate() }
        Parallel.forEachIndexedChunk(of: N, minimumChunk: Parallel.minimumRows(width: C)) { rows, chunk in
            let sums = partials.row(chunk)
            for i in rows {
                let g = dout + i * C, row = x + i * C, s = rstd[i]
                var dot = Vector8()
                var c = 0
                while c + 8 <= C {
                    let normalized = row.vector(at: c) * s
                    dot = dot.addingProduct(g.vector(at: c) * weight.vector(at: c), normalized)
                    sums.setVector(sums.vector(at: c).addingProduct(g.vector(at: c), normalized), at: c)
                    c += 8
                }
                var dotSum = dot.sum()
                while c < C {
                    let normalized = row[c] * s
                    dotSum += g[c] * weight[c] * normalized
                    sums[c] += g[c] * normalized
                    c += 1
                }
                guard let dx else { continue }
                let meanDot = dotSum / Float(C)
                let out = dx + i * C
                c = 0
                while c + 8 <= C {
                    let normalized = row.vector(at: c) * s
                    var value = (g.vector(at: c) * weight.vector(at: c) - normalized * meanDot) * s
                    if accumulateInput { value += out.vector(at: c) }
                    out.setVector(value, at: c)
                    c += 8
                }
                while c < C {
                    let value = (g[c] * weight[c] - row[c] * s * meanDot) * s
                    out[c] = accumulateInput ? out[c] + value : value
                    c += 1
                }
            }
        }
        partials.reduce(into: dWeight, columns: 0..<C)
    }
}
