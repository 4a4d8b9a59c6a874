// Llama's layers on the tape: RMSNorm, rotary position embedding (Hugging Face's rotate-half
// layout) and the SwiGLU gate. Grouped-query attention is in Tensor+Attention.swift.
import Kernels

extension Tensor {
    /// Each row of the last axis divided by its root mean square (plus ε under the root), then
    /// scaled by `weight` [C].
    public func rmsNorm(weight: Tensor, epsilon: Float) throws -> Tensor {
        let C = shape.last
        guard shape.rank >= 1, weight.shape == [C] else {
            throw TensorError.shapeMismatch(operation: "rmsNorm", shape, weight.shape, expected: "x [..., C] and a weight of shape [\(C)]")
        }
        let rows = shape.rows
        let out = Tensor(uninitialized: shape)
        let rstd = TensorStorage(count: rows)
        RMSNorm.forward(out: out.data, rstd: rstd.pointer, input: data, weight: weight.data, rows: rows, width: C, epsilon: epsilon)
        if let tape = Tape.recording(self, weight) {
            out.record(on: tape) { dout in
                let dWeight = weight.requiresGradient ? weight.accumulatingGradient() : nil
                self.withGradientIfRequired { dx, accumulate in
                    RMSNorm.backward(
                        dInput: dx, accumulateInput: accumulate, dWeight: dWeight, dout: dout, input: self.data,
                        weight: weight.data, rstd: rstd.pointer, rows: rows, width: C)
                }
            }
        }
        return out
    }

    /// Rotary position embedding of self [B, T, heads·D] in Hugging Face's rotate-half layout: in
    /// each head the pair (x[i], x[i + D/2]) of the token at `positions` p turns by p·θ_i, with
    /// θ = `frequencies` (D/2 of them, from `rotaryFrequencies`). A new tensor; self stays valid.
    public func rotaryEmbedding(heads: Int, positions: TokenGrid, frequencies: [Float]) throws -> Tensor {
        let operation = "rotaryEmbedding"
        guard shape.rank == 3, heads > 0, shape[2] % heads == 0, (shape[2] / heads) % 2 == 0 else {
            throw TensorError.invalidShape(operation: operation, shape, expected: "[B, T, heads·D] with \(heads) heads of an even size D")
        }
        let (B, T, width) = (shape[0], shape[1], shape[2])
        let D = width / heads
        guard positions.batch == B, positions.time == T else {
            throw TensorError.shapeMismatch(operation: operation, shape, [positions.batch, positions.time], expected: "positions [B, T] = [\(B), \(T)]")
        }
        guard frequencies.count == D / 2 else {
            throw TensorError.countMismatch(operation: "\(operation) (frequencies)", shape: [D / 2], count: frequencies.count)
        }
        let out = Tensor(uninitialized: shape)
        positions.ids.withUnsafeBufferPointer { p in
            guard let p = p.baseAddress else { return }
            RotaryEmbedding.forward(
                out: out.data, outRowStride: width, input: data, inputRowStride: width,
                rows: B * T, heads: heads, headSize: D, positions: p, frequencies: frequencies)
        }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dx, accumulate in
                    positions.ids.withUnsafeBufferPointer { p in
                        guard let p = p.baseAddress else { return }
                        RotaryEmbedding.backward(
                            dInput: dx, dInputRowStride: width, accumulate: accumulate, dout: dout, doutRowStride: width,
                            rows: B * T, heads: heads, headSize: D, positions: p, frequencies: frequencies)
                    }
                }
            }
        }
        return out
    }

    /// The rotary frequencies θ_i = base^(−2i/headSize), i < headSize/2 (`rope_theta` is the base).
    public static func rotaryFrequencies(headSize: Int, base: Double) -> [Float] {
        RotaryEmbedding.frequencies(headSize: headSize, base: base)
    }

    /// silu(gate)·up element-wise, silu(g) = g·σ(g): the gate of Llama's MLP.
    public static func swiGLU(gate: Tensor, up: Tensor) throws -> Tensor {
        guard gate.shape == up.shape else {
            throw TensorError.shapeMismatch(operation: "swiGLU", gate.shape, up.shape, expected: "gate and up of one shape")
        }
        let out = Tensor(uninitialized: gate.shape)
        SwiGLU.forward(out: out.data, gate: gate.data, up: up.data, count: out.elementCount)
        if let tape = Tape.recording(gate, up) {
            out.record(on: tape) { dout in
                Tensor.withGradients(of: [gate, up]) { gradients, accumulate in
                    SwiGLU.backward(
                        dGate: gradients[0], accumulateGate: accumulate, dUp: gradients[1], accumulateUp: accumulate,
                        dout: dout, gate: gate.data, up: up.data, count: out.elementCount)
                }
            }
        }
        return out
    }
}
