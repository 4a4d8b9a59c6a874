// ILQL's heads on a language model's final hidden states, as trlX's ILQLHeads: one or two Q
// heads over the vocabulary, a frozen target copy of each moved by Polyak averaging, and a V
// head. Each head is trlX's make_head MLP, Linear(hidden → width) → ReLU → Linear(width → out),
// with torch.nn.Linear's [out, in] weights and its default initialisation.
import Checkpoints
import Foundation
import Randomness
import Tensors

public final class ILQLHeads {
    public let hiddenSize: Int
    public let vocabularySize: Int
    /// Width of each head's hidden layer.
    public let width: Int
    public let qCount: Int
    /// The Q-heads and the V-head: what the optimizer trains.
    public let parameters: ParameterStore
    /// The target Q-heads, never trained (a store without gradients).
    public let targetParameters: ParameterStore

    /// Fresh heads: every Linear drawn as torch initialises one (weights and biases uniform in
    /// ±1/√fan_in), each target head a copy of its Q-head.
    public init(hiddenSize: Int, vocabularySize: Int, width: Int? = nil, qCount: Int = 2, seed: UInt64 = 0) throws {
        let width = width ?? 2 * hiddenSize
        guard hiddenSize > 0, vocabularySize > 0, width > 0, (1...2).contains(qCount) else {
            throw TensorError.invalidShape(
                operation: "ILQLHeads", [hiddenSize, vocabularySize, width, qCount],
                expected: "positive hidden size, vocabulary and width, and one or two Q-heads")
        }
        (self.hiddenSize, self.vocabularySize, self.width, self.qCount) = (hiddenSize, vocabularySize, width, qCount)
        var layout = ParameterLayout()
        for i in 0..<qCount { Self.appendHead(Self.qHead(i), outputs: vocabularySize, to: &layout, hiddenSize: hiddenSize, width: width) }
        Self.appendHead(Self.vHead, outputs: 1, to: &layout, hiddenSize: hiddenSize, width: width)
        var targetLayout = ParameterLayout()
        for i in 0..<qCount { Self.appendHead(Self.targetQHead(i), outputs: vocabularySize, to: &targetLayout, hiddenSize: hiddenSize, width: width) }
        parameters = ParameterStore(layout: layout)
        targetParameters = ParameterStore(layout: targetLayout, trainable: false)
        var generator = RandomGenerator(seed: seed)
        for entry in layout.entries {
            let firstLayer = entry.name.hasSuffix(".0.weight") || entry.name.hasSuffix(".0.bias")
            let bound = 1 / Float(firstLayer ? hiddenSize : width).squareRoot()
            parameters.withValues(of: entry.name) { values in
                for i in values.indices { values[i] = (2 * generator.uniform() - 1) * bound }
            }
        }
        syncTargets(alpha: 1)
    }

    static func qHead(_ i: Int) -> String { "q_heads.\(i)" }
    static func targetQHead(_ i: Int) -> String { "target_q_heads.\(i)" }
    static let vHead = "v_head"

    private static func appendHead(_ head: String, outputs: Int, to layout: inout ParameterLayout, hiddenSize: Int, width: Int) {
        layout.append("\(head).0.weight", [width, hiddenSize])
        layout.append("\(head).0.bias", [width])
        layout.append("\(head).2.weight", [outputs, width])
        layout.append("\(head).2.bias", [outputs])
    }

    /// Q-values [..., V] of every Q-head at hidden states [..., C], recorded on `tape`.
    public func qValues(_ hidden: Tensor, tape: Tape?) throws -> [Tensor] {
        try (0..<qCount).map { try mlp(hidden, Self.qHead($0), parameters, tape: tape) }
    }

    /// Target Q-values [..., V]: constants whatever `hidden` is recorded on.
    public func targetQValues(_ hidden: Tensor) throws -> [Tensor] {
        try (0..<qCount).map { try mlp(hidden.detached, Self.targetQHead($0), targetParameters, tape: nil) }
    }

    /// State values [...] at hidden states [..., C], recorded on `tape`.
    public func values(_ hidden: Tensor, tape: Tape?) throws -> Tensor {
        let out = try mlp(hidden, Self.vHead, parameters, tape: tape)
        return try out.reshaped(out.shape.droppingLast)
    }

    private func mlp(_ x: Tensor, _ head: String, _ store: ParameterStore, tape: Tape?) throws -> Tensor {
        let inner = try x.linear(
            store.tensor("\(head).0.weight", on: tape), bias: store.tensor("\(head).0.bias", on: tape), orientation: .outputsByInputs)
        return try inner.rectified().linear(
            store.tensor("\(head).2.weight", on: tape), bias: store.tensor("\(head).2.bias", on: tape), orientation: .outputsByInputs)
    }

    /// target ← α·Q + (1 − α)·target for every target head (trlX's _sync_target_q_heads).
    public func syncTargets(alpha: Float) {
        for i in 0..<qCount {
            for suffix in [".0.weight", ".0.bias", ".2.weight", ".2.bias"] {
                parameters.withValues(of: Self.qHead(i) + suffix) { source in
                    targetParameters.withValues(of: Self.targetQHead(i) + suffix) { target in
                        for j in target.indices { target[j] = alpha * source[j] + (1 - alpha) * target[j] }
                    }
                }
            }
        }
    }

    // MARK: Files

    /// The safetensors file of every head, under trlX's state-dict names (`ilql_heads.q_heads.0.0.weight`, …).
    public static let fileName = "ilql_heads.safetensors"
    static let prefix = "ilql_heads."

    /// Writes the Q-, target- and V-heads to `url` atomically.
    public func save(to url: URL) throws {
        var tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        for store in [parameters, targetParameters] {
            let values = UnsafeBufferPointer(store.allValues)
            for entry in store.layout.entries {
                tensors.append((Self.prefix + entry.name, entry.shape.dimensions, UnsafeBufferPointer(rebasing: values[entry.range])))
            }
        }
        try SafeTensors.write(tensors, metadata: ["format": "pt"], to: url)
    }

    /// Overwrites every head with the values in `url`, naming a missing tensor or wrong shape.
    public func load(from url: URL) throws {
        let tensors = try SafeTensors.read(url).tensors
        for store in [parameters, targetParameters] {
            for entry in store.layout.entries {
                guard let tensor = tensors[Self.prefix + entry.name] else {
                    throw CheckpointError.missingTensor(path: url.path, tensor: Self.prefix + entry.name)
                }
                guard tensor.shape == entry.shape.dimensions else {
                    throw CheckpointError.shapeMismatch(path: url.path, tensor: tensor.name, expected: entry.shape.dimensions, found: tensor.shape)
                }
                store.withValues(of: entry.name) { _ = $0.update(fromContentsOf: tensor.values) }
            }
        }
    }
}
