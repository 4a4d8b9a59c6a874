// Global-norm gradient clipping over a whole ParameterStore, as torch.nn.utils.clip_grad_norm_.
import Kernels
import Tensors

public enum GradientClipping {
    /// The L2 norm of all trainable gradients together.
    public static func globalNorm(of parameters: ParameterStore) -> Float {
        guard let g = parameters.allGradients else { return 0 }
        var total = 0.0
        for entry in parameters.trainableEntries {
            // Float partial sums per parameter keep the loop vectorised; Double across parameters.
            let base = g.baseAddress! + entry.range.lowerBound
            total += Double(RowMath.dot(base, base, entry.range.count))
        }
        return Float(total.squareRoot())
    }

    /// Scales the gradients so their global norm is at most `maxNorm`; returns the norm before
    /// clipping (non-finite when a gradient is NaN or infinite, which callers should treat as an error).
    @discardableResult
    public static func clip(_ parameters: ParameterStore, maxNorm: Float) -> Float {
        let norm = globalNorm(of: parameters)
        let factor = maxNorm / (norm + 1e-6)
        guard factor < 1, norm.isFinite, let g = parameters.allGradients else { return norm }
        for entry in parameters.trainableEntries {
            RowMath.scale(g.baseAddress! + entry.range.lowerBound, entry.range.count, by: factor)
        }
        return norm
    }
}
