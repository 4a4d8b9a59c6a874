// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
// expectation is unchanged and inference needs no rescaling.
import Kernels
import Randomness

extension Tensor {
    /// The tensor with each element zeroed with probability `probability`, the rest scaled by
    /// 1/(1 − probability); the mask is drawn from `generator`, so runs are reproducible.
    public func droppedOut(probability: Float, generator: inout RandomGenerator) throws -> Tensor {
        guard probability >= 0, probability < 1 else {
            throw TensorError.invalidArgument(operation: "droppedOut", name: "probability", value: Double(probability), expected: "a probability in [0, 1)")
        }
        let keep = 1 / (1 - probability)
        let mask = TensorStorage(count: elementCount)
        for i in 0..<elementCount { mask.pointer[i] = generator.uniformDouble() < Double(probability) ? 0 : keep }
        let out = Tensor(uninitialized: shape)
        Elementwise.map(out.data, data, mask.pointer, count: elementCount) { $0 * $1 }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in self.addGradient(dout, mask.pointer) { $0 * $1 } }
        }
        return out
    }
}
