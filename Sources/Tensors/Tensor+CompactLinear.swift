// Products with a frozen [out, in] matrix held only in compact block form (ParameterStore's
// compact forms): a slice of its rows at a time is decoded into a scratch buffer right before
// each BLAS product, forward and backward, so the f32 matrix never exists whole. A slice that
// covers the matrix makes the very call of the f32 path (same values, same product), and the
// output head's wide matrix is cut only along its outputs, which leaves each output's sum as it
// was; its backward sums the slices' contributions one after another.
import Kernels

/// A linear layer without its adapter: a weight tensor (with its bias), or a frozen [out, in]
/// matrix in compact form, which has no gradient.
package enum BaseLayer {
    case dense(weight: Tensor, bias: Tensor?, orientation: WeightOrientation)
    case compact(CompactMatrix)

    /// The tensors backward may reach.
    var tensors: [Tensor] {
        switch self {
        case let .dense(weight, bias, _): return [weight] + (bias.map { [$0] } ?? [])
        case .compact: return []
        }
    }
}

extension Tensor {
    /// Floats of a compact matrix decoded at once at most (16 MB): SmolLM2's output head (113 MB
    /// in f32) goes in seven slices, every other matrix in one.
    package static let decodedSliceFloats = 1 << 22

    /// y[..., out] = x[..., in]·Wᵀ for W in compact form. Only x gets a gradient.
    /// - Parameter sliceRows: rows of W decoded at a time (a multiple of 8; tests make it small).
    package func linear(compact w: CompactMatrix, sliceRows: Int? = nil) throws -> Tensor {
        let out = try through(.compact(w), recorded: false, sliceRows: sliceRows)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in self.throughBackward(dout, .compact(w), sliceRows: sliceRows) }
        }
        return out
    }

    /// x through `layer`, recorded on the tape or (for ops that record a backward of their own) not.
    func through(_ layer: BaseLayer, recorded: Bool, sliceRows: Int? = nil) throws -> Tensor {
        switch layer {
        case let .dense(weight, bias, orientation):
            return try linear(weight, bias: bias, orientation: orientation, recorded: recorded)
        case let .compact(w):
            guard shape.rank >= 1, shape.last == w.columns else {
                throw TensorError.shapeMismatch(operation: "linear (compact weight)", shape, [w.rows, w.columns], expected: "x's last dimension equal to the weight's input size \(w.columns)")
            }
            let rows = shape.rows
            let out = Tensor(uninitialized: shape.replacingLast(with: w.rows))
            Self.forEachDecodedSlice(of: w, sliceRows: sliceRows) { slice, weights in
                MatrixProduct.multiply(
                    m: rows, n: slice.count, k: w.columns, a: data, b: weights, transposeB: true, c: out.data + slice.lowerBound, ldc: w.rows)
            }
            return out
        }
    }

    /// The gradients `layer`'s product sends back from dout: x's, and a dense layer's weight and bias.
    func throughBackward(_ dout: UnsafePointer<Float>, _ layer: BaseLayer, sliceRows: Int? = nil) {
        let rows = shape.rows
        switch layer {
        case let .dense(weight, bias, orientation):
            let (inputs, outputs) = orientation == .inputsByOutputs ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
            linearBackward(dout, weight: weight, bias: bias, orientation: orientation, rows: rows, inputs: inputs, outputs: outputs)
        case let .compact(w):
            // dx = dout·W, a slice of W's rows (dout's columns) at a time.
            withGradientIfRequired { dx, accumulate in
                guard let dx else { return }
                Self.forEachDecodedSlice(of: w, sliceRows: sliceRows) { slice, weights in
                    MatrixProduct.multiply(
                        m: rows, n: w.columns, k: slice.count, a: dout + slice.lowerBound, lda: w.rows, b: weights, c: dx,
                        beta: accumulate || slice.lowerBound > 0 ? 1 : 0)
                }
            }
        }
    }

    /// Calls `body` with each slice of `w`'s rows, in order, and those rows decoded to Floats.
    private static func forEachDecodedSlice(of w: CompactMatrix, sliceRows: Int?, _ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        let group = CompactMatrix.groupSize
        let step = sliceRows ?? max(group, decodedSliceFloats / w.columns / group * group)
        precondition(step > 0 && step % group == 0, "slices of \(step) rows: a positive multiple of \(group)")
        let scratch = TensorStorage(count: min(step, w.rows) * w.columns)
        for start in stride(from: 0, to: w.rows, by: step) {
            let slice = start..<min(start + step, w.rows)
            w.decode(rows: slice, into: scratch.pointer)
            body(slice, scratch.pointer)
        }
    }
}

extension Tensor {
    /// x through `layer`, recorded on the tape.
    package func linear(_ layer: BaseLayer) throws -> Tensor {
        switch layer {
        case let .dense(weight, bias, orientation): return try linear(weight, bias: bias, orientation: orientation)
        case let .compact(w): return try linear(compact: w)
        }
    }
}
