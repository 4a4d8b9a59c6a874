// A linear layer with a low-rank adapter as one op: y = x·W (+ b) + s·(a·Aᵀ)·Bᵀ, where a is the
// adapter's input (x, or x after dropout). Fused so that training keeps only the [N, r] product
// a·Aᵀ beside the output, instead of the base output, the update and its scaled copy (three
// [N, out] tensors per adapted layer).
import Kernels

extension Tensor {
    /// - Parameters:
    ///   - down: A [r, in]; up: B [out, r]; scale: s.
    ///   - adapterInput: what A reads when it is not x itself (x after dropout), of x's shape.
    public func adaptedLinear(
        _ weight: Tensor, bias: Tensor? = nil, orientation: WeightOrientation, down: Tensor, up: Tensor, scale: Float, adapterInput: Tensor? = nil
    ) throws -> Tensor {
        try adaptedLinear(.dense(weight: weight, bias: bias, orientation: orientation), down: down, up: up, scale: scale, adapterInput: adapterInput)
    }

    /// As above, over a base layer that may be a compact frozen matrix.
    package func adaptedLinear(_ base: BaseLayer, down: Tensor, up: Tensor, scale: Float, adapterInput: Tensor? = nil) throws -> Tensor {
        let out = try through(base, recorded: false)
        let (rows, inputs, outputs) = (shape.rows, shape.last, out.shape.last)
        let a = adapterInput ?? self
        guard down.shape.rank == 2, down.shape[1] == inputs, up.shape == [outputs, down.shape[0]], a.shape == shape else {
            throw TensorError.shapeMismatch(operation: "adaptedLinear", down.shape, up.shape, expected: "A [r, \(inputs)] and B [\(outputs), r] for x \(shape)")
        }
        let r = down.shape[0]
        let reduced = TensorStorage(count: rows * r)
        MatrixProduct.multiply(m: rows, n: r, k: inputs, a: a.data, b: down.data, transposeB: true, c: reduced.pointer)
        MatrixProduct.multiply(m: rows, n: outputs, k: r, a: reduced.pointer, b: up.data, transposeB: true, c: out.data, alpha: scale, beta: 1)
        guard let tape = Tape.recording([self, down, up, a] + base.tensors) else { return out }
        out.record(on: tape) { dout in
            self.throughBackward(dout, base)
            // dt = s·dout·B: the gradient of the reduced product, shared by A, B and the input.
            let dReduced = TensorStorage(count: rows * r)
            MatrixProduct.multiply(m: rows, n: r, k: outputs, a: dout, b: up.data, c: dReduced.pointer, alpha: scale)
            if up.requiresGradient {
                MatrixProduct.multiply(m: outputs, n: r, k: rows, a: dout, transposeA: true, b: reduced.pointer, c: up.accumulatingGradient(), alpha: scale, beta: 1)
            }
            if down.requiresGradient {
                MatrixProduct.multiply(m: r, n: inputs, k: rows, a: dReduced.pointer, transposeA: true, b: a.data, c: down.accumulatingGradient(), beta: 1)
            }
            if a.requiresGradient {
                a.withGradient { da, accumulate in
                    MatrixProduct.multiply(m: rows, n: inputs, k: r, a: dReduced.pointer, b: down.data, c: da, beta: accumulate ? 1 : 0)
                }
            }
        }
        return out
    }
}
