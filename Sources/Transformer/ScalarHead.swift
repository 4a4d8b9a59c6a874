// A scalar read off a causal language model's hidden states: the value function's head (and the
// reward model's), `score.weight` [1, C] as transformers' *ForSequenceClassification names it.
// It is a piece of its own rather than part of one family's network, so any model carries one and
// a LoRA policy can put its value head on the very hidden states it computes its logits from.
import Checkpoints
import Foundation
import Randomness
import Tensors

public final class ScalarHead {
    public static let weightName = "score.weight"
    /// score.weight [1, C].
    public let parameters: ParameterStore
    public let width: Int
    /// The fixed affine map on the raw output: a reward model's normalisation (reward =
    /// gain·raw + bias), identity otherwise. Not trained.
    public var gain: Float = 1
    public var bias: Float = 0

    /// A zero head over hidden states of `width` features.
    public init(width: Int, trainable: Bool = true) {
        var layout = ParameterLayout()
        layout.append(Self.weightName, [1, width])
        parameters = ParameterStore(layout: layout, trainable: trainable)
        self.width = width
    }

    /// A head with these weights (e.g. a reward model's, to start a value function from).
    public convenience init(weights: [Float], gain: Float = 1, bias: Float = 0, trainable: Bool = true) {
        self.init(width: weights.count, trainable: trainable)
        parameters.withValues(of: Self.weightName) { _ = $0.update(fromContentsOf: weights) }
        (self.gain, self.bias) = (gain, bias)
    }

    /// N(0, 1/(C + 1)), as OpenAI's lm-human-preferences initialises its reward and value heads.
    public func initialize(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        parameters.fillNormal(Self.weightName, standardDeviation: 1 / Float(width + 1).squareRoot(), using: &generator)
    }

    public var weights: [Float] { parameters.withValues(of: Self.weightName) { Array($0) } }

    /// gain·(score.weight·h) + bias [...] of hidden states [..., C], recorded on `tape` when given.
    public func callAsFunction(_ hidden: Tensor, tape: Tape?) throws -> Tensor {
        let raw = try self.raw(hidden, tape: tape)
        return gain == 1 && bias == 0 ? raw : raw.affine(scale: gain, offset: bias)
    }

    /// score.weight·h [...] of hidden states [..., C], before the gain and bias: the scale a
    /// preference loss trains.
    public func raw(_ hidden: Tensor, tape: Tape?) throws -> Tensor {
        guard hidden.shape.dimensions.last == width else {
            throw TensorError.invalidShape(operation: "ScalarHead", hidden.shape, expected: "hidden states of width \(width)")
        }
        let score = try hidden.linear(parameters.tensor(Self.weightName, on: tape), orientation: .outputsByInputs)
        return try score.reshaped(hidden.shape.droppingLast)
    }

    /// score.weight·h of each row of features [N·C] (row-major), before the gain and bias.
    public func rawScores(features: [Float]) throws -> [Float] {
        try raw(Tensor(shape: Shape([features.count / width, width]), values: features), tape: nil).scalars
    }

    public func copy(trainable: Bool = true) -> ScalarHead {
        ScalarHead(weights: weights, gain: gain, bias: bias, trainable: trainable)
    }

    /// A language model's config.json turned into its *ForSequenceClassification form (one
    /// label, `pad_token_id` for the padding transformers needs to find the last token), carrying
    /// the normalisation as `reward_gain`/`reward_bias`.
    public func classificationConfig(_ base: [String: Any], architecture: String, paddingToken: Int32?) -> [String: Any] {
        var json = base
        json["architectures"] = [architecture]
        json["num_labels"] = 1
        json["id2label"] = ["0": "LABEL_0"]
        json["label2id"] = ["LABEL_0": 0]
        if let paddingToken { json["pad_token_id"] = Int(paddingToken) }
        json["reward_gain"] = Double(gain)
        json["reward_bias"] = Double(bias)
        return json
    }

    /// Writes the head as a safetensors file (atomically).
    public func save(to url: URL) throws {
        try parameters.write(to: url)
    }

    /// Reads a head written by `save(to:)`, naming the file and tensor when it does not fit.
    public static func load(from url: URL, width: Int, trainable: Bool = true) throws -> ScalarHead {
        let head = ScalarHead(width: width, trainable: trainable)
        try head.parameters.load(try SafeTensors.read(url).tensors, from: url)
        return head
    }
}
