// A reward model: a GPT-2 backbone with a scalar head read at the last real token of
// prompt + response, and the gain and bias that normalise its rewards. Saved as a Hugging Face
// GPT2ForSequenceClassification checkpoint folder with its tokenizer.
import Foundation
import LanguageModeling
import Randomness
import Tensors
import Transformer

public final class RewardModel {
    /// The network (with its scalar head) and tokenizer. Replaced, sharing its parameters, when
    /// normalisation changes the head's gain and bias.
    public private(set) var model: LanguageModel

    /// Wraps a language model whose network has a scalar head.
    public init(_ model: LanguageModel) throws {
        guard let network = model.gpt else { throw RewardModelError.unsupportedBackbone("\(type(of: model.network))") }
        guard network.configuration.hasScalarHead else { throw RewardModelError.missingScalarHead(path: "the given model") }
        self.model = model
    }

    /// A fresh reward model on `backbone`'s weights (an SFT or pretrained model, which is left
    /// untouched): the same network plus `score.weight`, drawn from N(0, 1/(width + 1)) as in
    /// OpenAI's lm-human-preferences, with identity gain and bias.
    public convenience init(backbone: LanguageModel, seed: UInt64, trainable: Bool = true) throws {
        guard let backboneNetwork = backbone.gpt else { throw RewardModelError.unsupportedBackbone("\(type(of: backbone.network))") }
        var configuration = backboneNetwork.configuration
        guard !configuration.hasScalarHead else { throw RewardModelError.alreadyHasScalarHead }
        configuration.hasScalarHead = true
        configuration.scalarGain = 1
        configuration.scalarBias = 0
        let network = try GPT(configuration: configuration, trainable: trainable)
        let source = backbone.network.parameters
        for entry in source.layout.entries {
            source.withValues(of: entry.name) { values in
                network.parameters.withValues(of: entry.name) { _ = $0.update(fromContentsOf: values) }
            }
        }
        var generator = RandomGenerator(seed: seed)
        let deviation = 1 / Float(configuration.width + 1).squareRoot()
        network.parameters.fillNormal("score.weight", standardDeviation: deviation, using: &generator)
        try self.init(LanguageModel(network: network, tokenizer: backbone.tokenizer))
    }

    /// Loads a reward-model folder; a folder without a scalar head is named as such.
    public static func load(from folder: URL, trainable: Bool = false) throws -> RewardModel {
        let model = try LanguageModel.load(from: folder, trainable: trainable)
        guard model.gpt?.configuration.hasScalarHead == true else { throw RewardModelError.missingScalarHead(path: folder.path) }
        return try RewardModel(model)
    }

    /// Writes the checkpoint folder (weights, config.json with `reward_gain`/`reward_bias`, tokenizer).
    public func save(to folder: URL) throws {
        try model.save(to: folder)
    }

    /// The network; `init` checked it is a GPT with a scalar head.
    public var network: GPT { model.gpt! }
    /// The normalisation applied to raw head outputs: reward = gain·raw + bias.
    public var gain: Float { network.configuration.scalarGain }
    public var bias: Float { network.configuration.scalarBias }

    /// Sets the gain and bias (the parameters are shared, not copied).
    public func setNormalization(gain: Float, bias: Float) throws {
        var configuration = network.configuration
        configuration.scalarGain = gain
        configuration.scalarBias = bias
        let network = try GPT(configuration: configuration, parameters: network.parameters)
        model = try LanguageModel(network: network, tokenizer: model.tokenizer)
    }

    /// The tokens a (prompt, response) pair is scored on: prompt + response, cut to the
    /// context length by dropping the prompt's start (the reward is read at the end).
    public func sequence(prompt: [Int32], response: [Int32]) -> [Int32] {
        let joined = prompt + response
        return Array(joined.suffix(network.configuration.contextLength))
    }

    /// The tokens of a text pair: a text response is a finished one, so `<|endoftext|>` ends it.
    public func sequence(prompt: String, response: String) -> [Int32] {
        sequence(prompt: model.encode(prompt), response: model.encode(response) + (model.endOfText.map { [$0] } ?? []))
    }

    /// Rewards [B] of left-padded `sequences`, read at each one's last token; recorded on `tape`
    /// when given. `normalized: false` undoes the gain and bias (the scale the loss trains).
    public func rewards(_ sequences: [[Int32]], tape: Tape?, normalized: Bool = true) throws -> Tensor {
        if let row = sequences.firstIndex(where: \.isEmpty) { throw RewardModelError.emptySequence(row: row) }
        let batch = try TokenBatch.leftPadded(sequences, padding: model.endOfText ?? 0)
        let hidden = try network.hiddenStates(batch, tape: tape)
        let last = try hidden.gathered(at: Array(repeating: Int32(batch.time - 1), count: batch.batch))
        let scores = try network.scalars(last, tape: tape)
        return normalized || (gain == 1 && bias == 0) ? scores : scores.affine(scale: 1 / gain, offset: -bias / gain)
    }

    /// Rewards of (prompt, response) token pairs, with no gradient recording, in batches of
    /// similar lengths (less padding); normalised unless asked otherwise.
    public func scores(prompts: [[Int32]], responses: [[Int32]], batchSize: Int = 32, normalized: Bool = true) throws -> [Float] {
        guard prompts.count == responses.count else { throw RewardModelError.countMismatch(prompts: prompts.count, responses: responses.count) }
        return try scores(sequences: zip(prompts, responses).map { sequence(prompt: $0, response: $1) }, batchSize: batchSize, normalized: normalized)
    }

    /// Rewards of text pairs; each response is scored as finished (ending with `<|endoftext|>`).
    public func scores(prompts: [String], responses: [String], batchSize: Int = 32, normalized: Bool = true) throws -> [Float] {
        guard prompts.count == responses.count else { throw RewardModelError.countMismatch(prompts: prompts.count, responses: responses.count) }
        return try scores(sequences: zip(prompts, responses).map { sequence(prompt: $0, response: $1) }, batchSize: batchSize, normalized: normalized)
    }

    /// Rewards of ready token sequences, batched by length, returned in the given order.
    public func scores(sequences: [[Int32]], batchSize: Int = 32, normalized: Bool = true) throws -> [Float] {
        if let row = sequences.firstIndex(where: \.isEmpty) { throw RewardModelError.emptySequence(row: row) }
        let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
        var result = [Float](repeating: 0, count: sequences.count)
        for start in stride(from: 0, to: order.count, by: max(batchSize, 1)) {
            let rows = Array(order[start..<min(start + max(batchSize, 1), order.count)])
            let batchScores = try rewards(rows.map { sequences[$0] }, tape: nil, normalized: normalized).scalars
            for (row, score) in zip(rows, batchScores) { result[row] = score }
        }
        return result
    }

    /// Sets gain and bias so the rewards of these samples (the reference policy's own responses
    /// to the training prompts) have mean 0 and standard deviation 1, as lm-human-preferences
    /// does; persisted by `save`.
    public func normalize(onSamples prompts: [[Int32]], responses: [[Int32]]) throws {
        let raw = try scores(prompts: prompts, responses: responses, normalized: false).map(Double.init)
        let mean = raw.reduce(0, +) / Double(max(raw.count, 1))
        let deviation = (raw.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(raw.count, 1))).squareRoot()
        guard raw.count >= 2, deviation > 1e-6, deviation.isFinite else {
            throw RewardModelError.degenerateNormalization(samples: raw.count, standardDeviation: deviation)
        }
        try setNormalization(gain: Float(1 / deviation), bias: Float(-mean / deviation))
    }
}
