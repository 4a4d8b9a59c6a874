// Global-norm gradient clipping over a whole ParameterStore, as torch.nn.utils.clip_grad_norm_.
import Tensors

public enum GradientClipping {
    /// The L2 norm of all trainable gradients together.
    public static func globalNorm(of parameters: ParameterStore) -> Float {
        guard let g = parameters.allGradients else { return 0 }
        var total = 0.0
        for entry in parameters.trainableEntries {
            for i in entry.range { total += Double(g[i]) * Double(g[i]) }
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
            for i in entry.range { g[i] *= factor }
        }
        return norm
    }
}
