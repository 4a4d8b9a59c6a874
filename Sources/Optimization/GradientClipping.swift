// Global-norm gradient clipping over a whole ParameterStore, as torch.nn.utils.clip_grad_norm_.
import Kernels
import Tensors

public enum GradientClipping {
    /// The L2 norm of all trainable gradients together.
    public static func globalNorm(of parameters: ParameterStore) -> Float {
        globalNorm(of: [parameters])
    }

    /// The L2 norm of the trainable gradients of several stores that one loss trains together
    /// (a value network and its head).
    public static func globalNorm(of stores: [ParameterStore]) -> Float {
        var total = 0.0
        for parameters in stores {
            guard let g = parameters.allGradients else { continue }
            for entry in parameters.trainableEntries {
                // Float partial sums per parameter keep the loop vectorised; Double across parameters.
                let base = g.baseAddress! + entry.range.lowerBound
                total += Double(RowMath.dot(base, base, entry.range.count))
            }
        }
        return Float(total.squareRoot())
    }

    /// Scales the gradients so their global norm is at most `maxNorm`; returns the norm before
    /// clipping (non-finite when a gradient is NaN or infinite, which callers should treat as an error).
    @discardableResult
    public static func clip(_ parameters: ParameterStore, maxNorm: Float) -> Float {
        clip([parameters], maxNorm: maxNorm)
    }

    /// Clips several stores by their joint norm; returns the norm before clipping.
    @discardableResult
    public static func clip(_ stores: [ParameterStore], maxNorm: Float) -> Float {
        let norm = globalNorm(of: stores)
        let factor = maxNorm / (norm + 1e-6)
        guard factor < 1, norm.isFinite else { return norm }
        for parameters in stores {
            guard let g = parameters.allGradients else { continue }
            for entry in parameters.trainableEntries {
                RowMath.scale(g.baseAddress! + entry.range.lowerBound, entry.range.count, by: factor)
            }
        }
        return norm
    }
}
