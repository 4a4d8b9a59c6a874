// Layer normalisation and the GELU activation.
import Kernels

extension Tensor {
    /// Normalises each row of the last axis to zero mean and unit variance, then scales and shifts.
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        let C = shape.last
        guard weight.shape == [C], bias.shape == [C] else {
            throw TensorError.shapeMismatch(operation: "layerNorm", shape, weight.shape, expected: "weight and bias of shape [\(C)]")
        }
        let rows = shape.rows
        let out = Tensor(uninitialized: shape)
        let mean = TensorStorage(count: rows), rstd = TensorStorage(count: rows)
        LayerNorm.forward(
            out: out.data, mean: mean.pointer, rstd: rstd.pointer, input: data,
            weight: weight.data, bias: bias.data, rows: rows, width: C, epsilon: epsilon)
        if let tape = Tape.recording(self, weight, bias) {
            out.record(on: tape) { dout in
                let dWeight = weight.requiresGradient ? weight.accumulatingGradient() : nil
                let dBias = bias.requiresGradient ? bias.accumulatingGradient() : nil
                self.withGradientIfRequired { dx, accumulate in
                    LayerNorm.backward(
                        dInput: dx, accumulateInput: accumulate, dWeight: dWeight, dBias: dBias, dout: dout,
                        input: self.data, weight: weight.data, mean: mean.pointer, rstd: rstd.pointer,
                        rows: rows, width: C)
                }
            }
        }
        return out
    }

    /// GELU, GPT-2's tanh approximation.
    public func gelu() -> Tensor {
        let out = Tensor(uninitialized: shape)
        GELU.forward(out: out.data, input: data, count: elementCount)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dx, accumulate in
                    GELU.backward(dInput: dx, accumulate: accumulate, dout: dout, input: self.data, count: self.elementCount)
                }
            }
        }
        return out
    }
}
