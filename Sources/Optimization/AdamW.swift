// AdamW with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW, over a
// ParameterStore's flat buffers: one vectorised pass per trainable run of parameters.
import Kernels
import Tensors
#if canImport(Glibc)
import Glibc
#endif

public struct AdamWConfiguration: Codable, Sendable, Equatable {
    /// Peak learning rate; a schedule scales it per step.
    public var learningRate: Float = 3e-4
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var epsilon: Float = 1e-8
    /// Decoupled decay, applied to matrices (rank ≥ 2) only: never to biases or norm gains.
    public var weightDecay: Float = 0.1

    public init(learningRate: Float = 3e-4, beta1: Float = 0.9, beta2: Float = 0.95, epsilon: Float = 1e-8, weightDecay: Float = 0.1) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ expected: String) throws {
            if !ok { throw OptimizationError.invalidSetting(field: field, expected: expected) }
        }
        try check(learningRate >= 0 && learningRate.isFinite, "learningRate", "a finite value ≥ 0")
        try check((0..<1).contains(beta1), "beta1", "a value in [0, 1)")
        try check((0..<1).contains(beta2), "beta2", "a value in [0, 1)")
        try check(epsilon > 0, "epsilon", "a value > 0")
        try check(weightDecay >= 0, "weightDecay", "a value ≥ 0")
    }
}

public enum OptimizationError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(field: String, expected: String)
    case stateMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .invalidSetting(field, expected): return "optimizer setting \(field): expected \(expected)"
        case let .stateMismatch(expected, found): return "optimizer state holds \(found) values, the parameters need \(expected)"
        }
    }
}

/// AdamW's moments live in flat buffers parallel to the store's values and gradients.
public final class AdamW {
    public let parameters: ParameterStore
    public var configuration: AdamWConfiguration
    /// Steps taken; the bias corrections depend on it.
    public private(set) var stepCount = 0
    package let firstMoments: TensorStorage
    package let secondMoments: TensorStorage

    public init(parameters: ParameterStore, configuration: AdamWConfiguration) throws {
        try configuration.validate()
        self.parameters = parameters
        self.configuration = configuration
        firstMoments = TensorStorage(repeating: 0, count: parameters.scalarCount)
        secondMoments = TensorStorage(repeating: 0, count: parameters.scalarCount)
    }

    /// One update of every trainable parameter from its accumulated gradient, at `learningRate`
    /// (the configured rate when nil). Gradients are left as they are.
    public func step(learningRate: Float? = nil) {
        guard let gradients = parameters.allGradients else { return }
        stepCount += 1
        let rate = learningRate ?? configuration.learningRate
        let c = configuration
        let correction1 = 1 - pow(c.beta1, Float(stepCount))
        let correction2 = 1 - pow(c.beta2, Float(stepCount))
        let stepSize = rate / correction1
        let rootCorrection2 = correction2.squareRoot()
        let values = parameters.allValues.baseAddress!, g = gradients.baseAddress!
        let m = firstMoments.pointer, v = secondMoments.pointer
        for entry in parameters.trainableEntries {
            let decay = entry.shape.rank >= 2 ? 1 - rate * c.weightDecay : 1
            let range = entry.range
            Parallel.forEachChunk(of: range.count, minimumChunk: 32_768) { chunk in
                var i = range.lowerBound + chunk.lowerBound
                let end = range.lowerBound + chunk.upperBound
                while i + 8 <= end {
                    let gradient = g.vector(at: i)
                    let first = (c.beta1 * m.vector(at: i)).addingProduct(1 - c.beta1, gradient)
                    let second = (c.beta2 * v.vector(at: i)).addingProduct((1 - c.beta2) * gradient, gradient)
                    m.setVector(first, at: i)
                    v.setVector(second, at: i)
                    let denominator = second.squareRoot() / rootCorrection2 + c.epsilon
                    values.setVector(values.vector(at: i) * decay - stepSize * first / denominator, at: i)
                    i += 8
                }
                while i < end {
                    m[i] = c.beta1 * m[i] + (1 - c.beta1) * g[i]
                    v[i] = c.beta2 * v[i] + (1 - c.beta2) * g[i] * g[i]
                    values[i] = values[i] * decay - stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + c.epsilon)
                    i += 1
                }
            }
        }
    }

    /// The state a resumed run needs: step count and both moments.
    public var state: AdamWState {
        AdamWState(stepCount: stepCount, firstMoments: Array(firstMoments.buffer), secondMoments: Array(secondMoments.buffer))
    }

    public func restore(_ state: AdamWState) throws {
        guard state.firstMoments.count == parameters.scalarCount, state.secondMoments.count == parameters.scalarCount else {
            throw OptimizationError.stateMismatch(expected: parameters.scalarCount, found: state.firstMoments.count)
        }
        stepCount = state.stepCount
        state.firstMoments.withUnsafeBufferPointer { firstMoments.pointer.update(from: $0.baseAddress!, count: $0.count) }
        state.secondMoments.withUnsafeBufferPointer { secondMoments.pointer.update(from: $0.baseAddress!, count: $0.count) }
    }
}

public struct AdamWState: Sendable, Equatable {
    public var stepCount: Int
    public var firstMoments: [Float]
    public var secondMoments: [Float]

    public init(stepCount: Int, firstMoments: [Float], secondMoments: [Float]) {
        self.stepCount = stepCount
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}
