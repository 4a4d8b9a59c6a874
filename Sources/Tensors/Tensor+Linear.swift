// Affine maps and plain matrix products.
import Kernels

public enum WeightOrientation: Sendable {
    /// The weight is [in, out] and y = x·W: Hugging Face GPT-2's Conv1D layout.
    case inputsByOutputs
    /// The weight is [out, in] and y = x·Wᵀ: torch.nn.Linear, and the tied LM head reading wte.
    case outputsByInputs

    var layout: WeightLayout { self == .inputsByOutputs ? .inputMajor : .outputMajor }
}

extension Tensor {
    /// y[..., out] = x[..., in]·W + b.
    public func linear(_ weight: Tensor, bias: Tensor? = nil, orientation: WeightOrientation = .inputsByOutputs) throws -> Tensor {
        try linear(weight, bias: bias, orientation: orientation, recorded: true)
    }

    /// The product, recorded on the tape or (for ops that record a backward of their own) not.
    func linear(_ weight: Tensor, bias: Tensor?, orientation: WeightOrientation, recorded: Bool) throws -> Tensor {
        let operation = "linear"
        guard weight.shape.rank == 2, shape.rank >= 1 else {
            throw TensorError.shapeMismatch(operation: operation, shape, weight.shape, expected: "x [..., in] and a rank-2 weight")
        }
        let (inputs, outputs) = orientation == .inputsByOutputs ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
        guard shape.last == inputs else {
            throw TensorError.shapeMismatch(operation: operation, shape, weight.shape, expected: "x's last dimension equal to the weight's input size \(inputs)")
        }
        if let bias, bias.shape != [outputs] {
            throw TensorError.shapeMismatch(operation: operation, weight.shape, bias.shape, expected: "a bias of shape [\(outputs)]")
        }
        let rows = shape.rows
        let out = Tensor(uninitialized: shape.replacingLast(with: outputs))
        Linear.forward(
            out: out.data, input: data, weight: weight.data, layout: orientation.layout, bias: bias?.data,
            rows: rows, inputs: inputs, outputs: outputs)
        if recorded, let tape = Tape.recording(self, weight, bias) {
            out.record(on: tape) { dout in
                self.linearBackward(dout, weight: weight, bias: bias, orientation: orientation, rows: rows, inputs: inputs, outputs: outputs)
            }
        }
        return out
    }

    /// The gradients of x, W and b from dout, for whichever of them require one.
    func linearBackward(_ dout: UnsafePointer<Float>, weight: Tensor, bias: Tensor?, orientation: WeightOrientation, rows: Int, inputs: Int, outputs: Int) {
        let dWeight = weight.requiresGradient ? weight.accumulatingGradient() : nil
        let dBias = bias?.requiresGradient == true ? bias?.accumulatingGradient() : nil
        withGradientIfRequired { dx, accumulate in
            Linear.backward(
                dInput: dx, accumulateInput: accumulate, dWeight: dWeight, dBias: dBias, dout: dout,
                input: data, weight: weight.data, layout: orientation.layout,
                rows: rows, inputs: inputs, outputs: outputs)
        }
    }

    /// The matrix product of the last two axes, batched over the leading ones:
    /// [..., m, k]·[..., k, n] → [..., m, n], either side optionally transposed.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        let operation = "matmul"
        guard shape.rank >= 2, other.shape.rank == shape.rank,
              shape.dimensions.dropLast(2) == other.shape.dimensions.dropLast(2) else {
            throw TensorError.shapeMismatch(operation: operation, shape, other.shape, expected: "equal ranks ≥ 2 with equal batch dimensions")
        }
        let (m, k) = transposeSelf ? (shape[shape.rank - 1], shape[shape.rank - 2]) : (shape[shape.rank - 2], shape[shape.rank - 1])
        let (k2, n) = transposeOther ? (other.shape[other.rank - 1], other.shape[other.rank - 2]) : (other.shape[other.rank - 2], other.shape[other.rank - 1])
        guard k == k2 else {
            throw TensorError.shapeMismatch(operation: operation, shape, other.shape, expected: "inner dimensions equal (\(k) vs \(k2))")
        }
        let batch = shape.elementCount / max(m * k, 1)
        let out = Tensor(uninitialized: Shape(shape.dimensions.dropLast(2) + [m, n]))
        for b in 0..<batch {
            MatrixProduct.multiply(
                m: m, n: n, k: k, a: data + b * m * k, transposeA: transposeSelf,
                b: other.data + b * k * n, transposeB: transposeOther, c: out.data + b * m * n)
        }
        if let tape = Tape.recording(self, other) {
            out.record(on: tape) { dout in
                if self.requiresGradient {
                    self.withGradient { da, accumulate in
                        for b in 0..<batch {
                            // dA = dC·Bᵀ (or its transpose when A was used transposed).
                            if transposeSelf {
                                MatrixProduct.multiply(
                                    m: k, n: m, k: n, a: other.data + b * k * n, transposeA: transposeOther,
                                    b: dout + b * m * n, transposeB: true, c: da + b * m * k, beta: accumulate ? 1 : 0)
                            } else {
                                MatrixProduct.multiply(
                                    m: m, n: k, k: n, a: dout + b * m * n,
                                    b: other.data + b * k * n, transposeB: !transposeOther, c: da + b * m * k, beta: accumulate ? 1 : 0)
                            }
                        }
                    }
                }
                if other.requiresGradient {
                    other.withGradient { db, accumulate in
                        for b in 0..<batch {
                            // dB = Aᵀ·dC (or its transpose when B was used transposed).
                            if transposeOther {
                                MatrixProduct.multiply(
                                    m: n, n: k, k: m, a: dout + b * m * n, transposeA: true,
                                    b: self.data + b * m * k, transposeB: transposeSelf, c: db + b * k * n, beta: accumulate ? 1 : 0)
                            } else {
                                MatrixProduct.multiply(
                                    m: k, n: n, k: m, a: self.data + b * m * k, transposeA: !transposeSelf,
                                    b: dout + b * m * n, c: db + b * k * n, beta: accumulate ? 1 : 0)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    package var rank: Int { shape.rank }
}
