// A reward model: a scalar head read off a causal language model's final hidden state at the
// last token of prompt + response, as transformers' *ForSequenceClassification models read it,
// with the gain and bias that normalise its rewards. Any family serves as the backbone, trained
// with the head (fine-tuned) or kept fixed (frozen): a frozen backbone's features are computed
// once per text and may be cached, and its folder refers to the backbone's file instead of
// copying its weights.
import DataParallel
import Foundation
import LanguageModeling
import Tensors
import Transformer

public final class RewardModel: TextRewardScorer, @unchecked Sendable {
    /// Whether the backbone learns with the head.
    public enum Backbone: Equatable, Sendable {
        /// Trained with the head (its trainable parameters, or its adapters); saved whole.
        case fineTuned
        /// Kept as read from `file` (a GGUF file or model folder), which the saved folder names.
        case frozen(file: URL)
    }

    public let backbone: LanguageModel
    public let kind: Backbone
    /// score.weight [1, C], with the normalisation as its gain and bias.
    public let head: ScalarHead
    /// Longest prompt + response read, in tokens; longer ones keep their end.
    public let maximumTokens: Int
    /// Whether a text response is scored as finished, ending with the end-of-text token. A
    /// fine-tuned GPT-2 reward model learns to read its state there; a frozen backbone's state at
    /// that token carries less of the text than at its last word.
    public let endsResponsesWithEndOfText: Bool
    /// Text read after every response, so the head reads the state where the backbone sums
    /// the text up ("Overall, the review above is"). A frozen backbone's state after its last
    /// word predicts that word's continuation and carries its judgement of the whole only
    /// faintly; transformers reads the same input when the suffix is appended to the text.
    public let readout: String
    /// `readout` in the backbone's tokens.
    public let readoutTokens: [Int32]
    /// Whether a text prompt is read as a user message in the backbone's chat template, as a
    /// chat policy reads it, rather than as plain text.
    public let readsChatPrompts: Bool
    /// Where scoring looks up and keeps backbone features, when set (frozen backbones only: a
    /// fine-tuned backbone's features change as it trains).
    public var featureCache: BackboneFeatureCache?
    /// Follows the backbone pass of scoring (done, total).
    public var featureProgress: (Int, Int) -> Void = { _, _ in }

    /// A reward model of `head` on `backbone`; `maximumTokens` defaults to the context length.
    public init(
        backbone: LanguageModel, head: ScalarHead, kind: Backbone, maximumTokens: Int? = nil, endsResponsesWithEndOfText: Bool? = nil,
        readout: String = "", chatPrompts: Bool = false
    ) throws {
        let network = backbone.network
        guard head.width == network.hiddenSize else {
            throw RewardModelError.headWidth(head: head.width, backbone: network.hiddenSize)
        }
        if let maximumTokens, maximumTokens < 1 { throw RewardTrainingError.invalidSetting(field: "maximumTokens", expected: "≥ 1") }
        self.backbone = backbone
        self.kind = kind
        self.head = head
        self.maximumTokens = min(maximumTokens ?? network.contextLength, network.contextLength)
        self.endsResponsesWithEndOfText = endsResponsesWithEndOfText ?? (kind == .fineTuned)
        self.readout = readout
        readoutTokens = readout.isEmpty ? [] : backbone.encode(readout)
        if chatPrompts && backbone.chatTemplate == nil {
            throw RewardTrainingError.invalidSetting(field: "chatPrompts", expected: "a backbone with a chat template")
        }
        readsChatPrompts = chatPrompts
    }

    /// A reward model that trains `backbone` (an SFT or pretrained model, loaded trainable) with
    /// a new head drawn from N(0, 1/(C + 1)), as OpenAI's lm-human-preferences initialises it.
    /// The backbone's weights are trained in place: give a copy to keep the original.
    public static func fineTuning(_ backbone: LanguageModel, seed: UInt64, readout: String = "", chatPrompts: Bool = false) throws -> RewardModel {
        let head = ScalarHead(width: backbone.network.hiddenSize)
        head.initialize(seed: seed)
        return try RewardModel(backbone: backbone, head: head, kind: .fineTuned, readout: readout, chatPrompts: chatPrompts)
    }

    /// A zero head on `backbone` kept fixed, which must have been read from a file (the
    /// reward model's folder refers to it), reading `readout` after every response.
    public static func frozen(_ backbone: LanguageModel, maximumTokens: Int = 512, readout: String = "", chatPrompts: Bool = false) throws -> RewardModel {
        guard let file = backbone.source else {
            throw RewardModelError.frozenBackboneWithoutFile
        }
        return try RewardModel(
            backbone: backbone, head: ScalarHead(width: backbone.network.hiddenSize), kind: .frozen(file: file), maximumTokens: maximumTokens,
            readout: readout, chatPrompts: chatPrompts)
    }

    public var isFrozen: Bool { kind != .fineTuned }
    public var width: Int { head.width }
    /// The normalisation applied to raw head outputs: reward = gain·raw + bias.
    public var gain: Float { head.gain }
    public var bias: Float { head.bias }

    public func setNormalization(gain: Float, bias: Float) {
        head.gain = gain
        head.bias = bias
    }

    /// What training updates: the backbone's trainable parameters (its adapters when it has
    /// any) and the head; the head alone on a frozen backbone.
    public var trainableStores: [ParameterStore] {
        isFrozen ? [head.parameters] : [backbone.network.trainableParameters, head.parameters]
    }

    // MARK: What is read

    /// The tokens a (prompt, response) pair is scored on: prompt + response + the readout, cut
    /// to `maximumTokens` by dropping the prompt's start (the reward is read at the end).
    public func sequence(prompt: [Int32], response: [Int32]) -> [Int32] {
        Array((prompt + response + readoutTokens).suffix(maximumTokens))
    }

    /// The tokens of a text pair, the prompt in the chat template when the model reads chat
    /// prompts, ending with the end-of-text token when responses are scored as finished; an
    /// empty pair reads one space, so there is a position to read.
    public func sequence(prompt: String, response: String) throws -> [Int32] {
        let end = endsResponsesWithEndOfText ? backbone.endOfText.map { [$0] } ?? [] : []
        let tokens = try (readsChatPrompts ? backbone.chatPrompt(user: prompt) : backbone.encode(prompt)) + backbone.encode(response) + end
        return sequence(prompt: [], response: tokens.isEmpty && readoutTokens.isEmpty ? backbone.encode(" ") : tokens)
    }

    /// Final hidden states [B, C] at the last token of each sequence, left-padded into one
    /// batch; recorded on `tape` when given.
    func lastStates(_ sequences: [[Int32]], tape: Tape?) throws -> Tensor {
        if let row = sequences.firstIndex(where: \.isEmpty) { throw RewardModelError.emptySequence(row: row) }
        let batch = try TokenBatch.leftPadded(sequences, padding: backbone.endOfText ?? 0)
        let hidden = try backbone.network.hiddenStates(batch, tape: tape)
        return try hidden.gathered(at: Array(repeating: Int32(batch.time - 1), count: batch.batch))
    }

    /// Rewards [B] of `sequences`, recorded on `tape` when given; `normalized: false` gives the
    /// raw head outputs (the scale the loss trains).
    public func rewards(_ sequences: [[Int32]], tape: Tape?, normalized: Bool = true) throws -> Tensor {
        let states = try lastStates(sequences, tape: tape)
        return normalized ? try head(states, tape: tape) : try head.raw(states, tape: tape)
    }

    /// Backbone features [N·C] of token sequences, in batches of similar lengths, through
    /// `cache` when given (computed only for the sequences it lacks). `progress(done, total)`.
    ///
    /// With a `shard` of several ranks, the rank computes every `shard.count`-th batch of the
    /// missing rows (the root also fills the cached rows) and leaves the other rows zero: the
    /// ranks' results add up to the whole, batched exactly as one process batches it.
    public func features(
        of sequences: [[Int32]], cache: BackboneFeatureCache? = nil, batchSize: Int = 16, shard: BatchShard = .whole,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [Float] {
        var result = [Float](repeating: 0, count: sequences.count * width)
        var missing: [Int] = []
        for (row, sequence) in sequences.enumerated() {
            if let cached = cache?.features(of: sequence) {
                if shard.rank == 0 { result.replaceSubrange((row * width)..<((row + 1) * width), with: cached) }
            } else {
                missing.append(row)
            }
        }
        missing.sort { sequences[$0].count < sequences[$1].count }
        var done = sequences.count - missing.count
        progress(done, sequences.count)
        let starts = Array(stride(from: 0, to: missing.count, by: max(batchSize, 1)))
        for (batch, start) in starts.enumerated() where batch % shard.count == shard.rank {
            let rows = Array(missing[start..<min(start + max(batchSize, 1), missing.count)])
            let states = try lastStates(rows.map { sequences[$0] }, tape: nil).scalars
            for (index, row) in rows.enumerated() {
                let values = states[(index * width)..<((index + 1) * width)]
                result.replaceSubrange((row * width)..<((row + 1) * width), with: values)
                cache?.insert(Array(values), for: sequences[row])
            }
            done = min(done + rows.count * shard.count, sequences.count)
            progress(done, sequences.count)
        }
        return result
    }

    /// A cache file of this model's backbone features at `url` (read if it exists).
    public func openFeatureCache(at url: URL) throws -> BackboneFeatureCache {
        try BackboneFeatureCache(url: url, width: width, backbone: "\(backbone.source?.lastPathComponent ?? "backbone") (\(maximumTokens) tokens)")
    }

    // MARK: Scores

    /// The sequences of a policy's samples, drawn with this model's tokenizer.
    public func sequences(of samples: PolicySamples) -> [[Int32]] {
        zip(samples.prompts, samples.responses).map { sequence(prompt: $0, response: $1) }
    }

    /// The sequences of text pairs.
    public func sequences(of pairs: [(prompt: String, response: String)]) throws -> [[Int32]] {
        try pairs.map { try sequence(prompt: $0.prompt, response: $0.response) }
    }

    /// Rewards of ready token sequences, batched by length, returned in the given order.
    public func scores(sequences: [[Int32]], batchSize: Int = 32, normalized: Bool = true) throws -> [Float] {
        let raw = try head.rawScores(features: features(of: sequences, cache: featureCache, batchSize: batchSize, progress: featureProgress))
        return normalized ? raw.map { gain * $0 + bias } : raw
    }

    /// Rewards of (prompt, response) token pairs.
    public func scores(prompts: [[Int32]], responses: [[Int32]], batchSize: Int = 32, normalized: Bool = true) throws -> [Float] {
        guard prompts.count == responses.count else { throw RewardModelError.countMismatch(prompts: prompts.count, responses: responses.count) }
        return try scores(sequences: zip(prompts, responses).map { sequence(prompt: $0, response: $1) }, batchSize: batchSize, normalized: normalized)
    }

    /// Rewards of text pairs.
    public func scores(prompts: [String], responses: [String], batchSize: Int = 32, normalized: Bool = true) throws -> [Float] {
        guard prompts.count == responses.count else { throw RewardModelError.countMismatch(prompts: prompts.count, responses: responses.count) }
        return try scores(sequences: zip(prompts, responses).map { try sequence(prompt: $0, response: $1) }, batchSize: batchSize, normalized: normalized)
    }

    // MARK: Normalisation

    /// Gain and bias so that these raw scores get mean 0 and standard deviation 1, as
    /// lm-human-preferences normalises on the reference policy's own samples; persisted by `save`.
    public func normalize(rawScores raw: [Float]) throws {
        let values = raw.map(Double.init)
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))).squareRoot()
        guard values.count >= 2, deviation > 1e-6, deviation.isFinite else {
            throw RewardModelError.degenerateNormalization(samples: values.count, standardDeviation: deviation)
        }
        setNormalization(gain: Float(1 / deviation), bias: Float(-mean / deviation))
    }

    /// Normalises on the raw rewards of these samples (the reference policy's responses to the
    /// training prompts).
    public func normalize(onSamples samples: PolicySamples) throws {
        try normalize(rawScores: scores(sequences: sequences(of: samples), normalized: false))
    }
}
