// Offline samples as ILQL trains on them, as trlX's make_experience builds them: each response
// (ending in the model's end token) is a sequence of actions, its reward standardised over the
// training samples and paid after the last action; states are the positions before each action
// plus the one after the last, the final state terminal.
import Foundation
import Finetuning
import LanguageModeling
import Tensors
import TrainingRuns
import Transformer

/// One tokenized sample.
public struct ILQLExample: Sendable, Equatable {
    public let prompt: [Int32]
    public let response: [Int32]
    public let reward: Double

    public init(prompt: [Int32], response: [Int32], reward: Double) {
        self.prompt = prompt
        self.response = response
        self.reward = reward
    }
}

/// A batch laid out for one forward pass: prompts left-padded to P, responses right-padded to R;
/// action slot j is position P − 1 + j, state slot j the same position (j = 0 … R).
public struct ILQLBatch: Sendable {
    public let sequences: SequenceBatch
    public let targets: ILQLTargets
}

public struct ILQLData: Sendable {
    public let training: [ILQLExample]
    public let heldOut: [ILQLExample]
    /// The standardisation applied to every reward: (r − mean) / (std + ε).
    public let rewardMean: Double
    public let rewardScale: Double
    let padding: Int32
    private var epochs: ShuffledEpochs

    /// Tokenized samples; rewards are standardised with the training samples' mean and unbiased
    /// standard deviation (left unscaled when there is a single sample), as trlX does.
    public init(training: [ILQLExample], heldOut: [ILQLExample] = [], padding: Int32, seed: UInt64) throws {
        guard !training.isEmpty else { throw ILQLDataError.empty(source: "the training split") }
        if let index = (training + heldOut).firstIndex(where: { $0.prompt.isEmpty || $0.response.isEmpty }) {
            throw ILQLDataError.emptyResponse(sample: index)
        }
        let rewards = training.map(\.reward)
        let mean = rewards.reduce(0, +) / Double(rewards.count)
        let variance = rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rewards.count - 1)
        rewardMean = mean
        rewardScale = rewards.count > 1 ? 1 / (variance.squareRoot() + Double.ulpOfOne) : 1
        self.training = training
        self.heldOut = heldOut
        self.padding = padding
        epochs = ShuffledEpochs(count: training.count, seed: seed)
    }

    /// Samples as `model` reads them: a chat model's prompt in its template, a plain model's as
    /// text (its end token when empty); every response followed by the end token. Responses keep
    /// at most `maximumResponseTokens`, prompts their last (context − that) tokens; prompts the
    /// held-out split picks go to `heldOut`.
    public init(
        _ samples: [RewardedSample], model: LanguageModel, maximumResponseTokens: Int? = nil, heldOutPeriod: Int = 0, seed: UInt64
    ) throws {
        let context = model.network.contextLength
        let responseLimit = min(maximumResponseTokens ?? context / 2, context - 1)
        let end = model.endOfText.map { [$0] } ?? []
        let split = HeldOutSplit(period: heldOutPeriod)
        var training: [ILQLExample] = [], heldOut: [ILQLExample] = []
        for (index, sample) in samples.enumerated() {
            let text = model.chatTemplate == nil ? model.encode(sample.prompt) : try model.chatPrompt(user: sample.prompt)
            let prompt = text.isEmpty ? end : Array(text.suffix(context - responseLimit))
            let response = Array((model.encode(sample.response) + end).prefix(responseLimit))
            guard !prompt.isEmpty, !response.isEmpty else { throw ILQLDataError.emptyResponse(sample: index) }
            let example = ILQLExample(prompt: prompt, response: response, reward: sample.reward)
            if split.isHeldOut(sample.prompt) { heldOut.append(example) } else { training.append(example) }
        }
        try self.init(training: training, heldOut: heldOut, padding: model.endOfText ?? 0, seed: seed)
    }

    public var epochsCompleted: Int { epochs.epochsCompleted }

    public var cursor: ShuffledEpochs { epochs }

    public mutating func restore(_ cursor: ShuffledEpochs) throws {
        try cursor.check(count: training.count)
        epochs = cursor
    }

    /// The next `size` training samples of the shuffled pass (reshuffled after each pass).
    public mutating func nextBatch(size: Int) throws -> ILQLBatch {
        try batch(epochs.next(size).map { training[$0] })
    }

    /// The first `count` batches of held-out samples.
    public func evaluationBatches(count: Int, size: Int) throws -> [ILQLBatch] {
        let examples = Array(heldOut.prefix(count * size))
        return try stride(from: 0, to: examples.count, by: size).map { try batch(Array(examples[$0..<min(examples.count, $0 + size)])) }
    }

    func batch(_ examples: [ILQLExample]) throws -> ILQLBatch {
        let sequences = try SequenceBatch(prompts: examples.map(\.prompt), responses: examples.map(\.response), padding: padding)
        let R = sequences.responseLength
        var rewards = [Float](repeating: 0, count: examples.count * R), dones: [Float] = []
        for (b, example) in examples.enumerated() {
            let n = example.response.count
            rewards[b * R + n - 1] = Float((example.reward - rewardMean) * rewardScale)
            dones += (0...R).map { $0 < n ? 1 : 0 }
        }
        let targets = try ILQLTargets(rows: examples.count, actionSlots: R, actions: sequences.responseTargets, rewards: rewards, dones: dones)
        return ILQLBatch(sequences: sequences, targets: targets)
    }
}
