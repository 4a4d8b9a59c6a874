// The two tensor operations the ILQL heads need beyond the shared ones: the ReLU between a
// head's two layers (trlX's make_head), and reading a recorded tensor as a constant.
import Kernels
import Tensors

extension Tensor {
    /// max(0, x); the gradient passes where x > 0 (as torch's ReLU, none at 0).
    package func rectified() -> Tensor {
        let out = Tensor(uninitialized: shape)
        Elementwise.map(out.data, data, count: elementCount) { x in x.replacing(with: 0, where: x .< 0) }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.addGradient(dout, self.data) { g, x in g.replacing(with: 0, where: x .<= 0) }
            }
        }
        return out
    }

    /// The same values, recorded on no tape: what the target heads read (trlX's `.detach()`).
    package var detached: Tensor {
        Tensor(shape: shape, storage: storage)
    }
}
