// Affine layers: y = x·W + b through one sgemm, with the bias folded in as the product's
// starting value, and the matching backward products.

/// How a weight matrix is laid out relative to y = x·W.
package enum WeightLayout: Sendable {
    /// W is [in, out] (Hugging Face GPT-2's Conv1D): y = x·W.
    case inputMajor
    /// W is [out, in] (nn.Linear, and the tied LM head reading wte): y = x·Wᵀ.
    case outputMajor
}

package enum Linear {
    /// out[N, outputs] = x[N, inputs] · W (+ bias).
    package static func forward(
        out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
        rows N: Int, inputs: Int, outputs: Int
    ) {
        if let bias {
            Parallel.forEachChunk(of: N, minimumChunk: Parallel.minimumRows(width: outputs)) { rows in
                for i in rows { (out + i * outputs).update(from: bias, count: outputs) }
            }
        }
        MatrixProduct.multiply(
            m: N, n: outputs, k: inputs, a: x,
            b: weight, transposeB: layout == .outputMajor,
            c: out, beta: bias == nil ? 0 : 1)
    }

    /// dx (+)= dout · Wᵀ; dW += the product of x and dout; dbias += Σ_rows dout.
    package static func backward(
        dInput dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, input x: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, layout: WeightLayout,
        rows N: Int, inputs: Int, outputs: Int
    ) {
        if let dx {
            MatrixProduct.multiply(
                m: N, n: inputs, k: outputs, a: dout,
                b: weight, transposeB: layout == .inputMajor,
                c: dx, beta: accumulateInput ? 1 : 0)
        }
        if let dWeight {
            switch layout {
            case .inputMajor:  // dW[in, out] += xᵀ · dout
                MatrixProduct.multiply(
                    m: inputs, n: outputs, k: N, a: x, transposeA: true, b: dout, c: dWeight, beta: 1)
            case .outputMajor:  // dW[out, in] += doutᵀ · x
                MatrixProduct.multiply(
                    m: outputs, n: inputs, k: N, a: dout, transposeA: true, b: x, c: dWeight, beta: 1)
            }
        }
        if let dBias { ColumnSums.add(dout, rows: N, columns: outputs, into: dBias) }
    }
}

package enum ColumnSums {
    /// target[j] += Σ_i matrix[i, j].
    package static func add(_ matrix: UnsafePointer<Float>, rows N: Int, columns C: Int, into target: UnsafeMutablePointer<Float>) {
        let partials = PartialSums(chunks: Parallel.threadCount, width: C)
        defer { partials.deallocate() }
        Parallel.forEachIndexedChunk(of: N, minimumChunk: Parallel.minimumRows(width: C)) { rows, chunk in
            let sums = partials.row(chunk)
            for i in rows {
                let row = matrix + i * C
                var c = 0
                while c + 8 <= C {
                    sums.setVector(sums.vector(at: c) + row.vector(at: c), at: c)
                    c += 8
                }
                while c < C {
                    sums[c] += row[c]
                    c += 1
                }
            }
        }
        partials.reduce(into: target, columns: 0..<C)
    }
}
