// Preference pairs tokenized for one model: the prompt as SFT reads it (in the chat template when
// the model has one), each answer followed by the model's end-of-answer token, split by prompt
// into training and held-out pairs, and laid out so one forward pass reads a batch's chosen and
// rejected sequences together.
import Foundation
import LanguageModeling
import Tensors
import TrainingRuns
import Transformer

public struct PreferenceData: Sendable {
    public struct Example: Sendable, Equatable {
        public let prompt: [Int32]
        public let chosen: [Int32]
        public let rejected: [Int32]

        public init(prompt: [Int32], chosen: [Int32], rejected: [Int32]) {
            self.prompt = prompt
            self.chosen = chosen
            self.rejected = rejected
        }

        public var lengths: PairLengths { PairLengths(chosen: chosen.count, rejected: rejected.count) }
    }

    public let training: [Example]
    public let heldOut: [Example]
    /// The id that pads batches (never attended, never a target).
    public let padding: Int32

    /// Every batch of these examples fits `contextLength`: prompts keep their last
    /// `maximumPromptLength` tokens (TRL's keep-end truncation) and answers their first
    /// `contextLength − maximumPromptLength` (keep-start), however the batch's rows combine.
    public init(training: [Example], heldOut: [Example], contextLength: Int, maximumPromptLength: Int? = nil, padding: Int32) throws {
        let promptLimit = maximumPromptLength ?? contextLength / 2
        guard promptLimit >= 1, promptLimit < contextLength else {
            throw PreferenceOptimizationError.invalidSetting(field: "maximumPromptLength", expected: "between 1 and \(contextLength - 1) (the context is \(contextLength) tokens)")
        }
        let answerLimit = contextLength - promptLimit
        let fit = { (e: Example) in
            Example(prompt: Array(e.prompt.suffix(promptLimit)), chosen: Array(e.chosen.prefix(answerLimit)), rejected: Array(e.rejected.prefix(answerLimit)))
        }
        self.training = training.map(fit)
        self.heldOut = heldOut.map(fit)
        self.padding = padding
    }

    /// `pairs` tokenized for `model` and split by their key: one key in `heldOutPeriod` is held
    /// out. A model with a chat template reads the conversation in it (unless `readsChat` is false,
    /// for answers sampled from the plain prompt), a plain model the prompt text (an empty prompt
    /// becomes the end-of-text token, from which the model generates unprompted text); each answer
    /// ends with the model's end-of-answer token, as in SFT. A pair the model cannot read so is
    /// refused by its file and line, as SFT refuses one (`LanguageModel.examplePrompt`).
    public init(_ pairs: [PreferencePair], model: LanguageModel, heldOutPeriod: Int, maximumPromptLength: Int? = nil, readsChat: Bool = true) throws {
        let endOfAnswer = model.endOfText.map { [$0] } ?? []
        let split = HeldOutSplit(period: heldOutPeriod)
        var training: [Example] = [], heldOut: [Example] = []
        for (index, pair) in pairs.enumerated() {
            let example = Example(
                prompt: try model.examplePrompt(pair.prompt, context: pair.context, readsChat: readsChat, location: pair.location, number: index + 1),
                chosen: model.encode(pair.chosen) + endOfAnswer, rejected: model.encode(pair.rejected) + endOfAnswer)
            if split.isHeldOut(pair.splitKey) { heldOut.append(example) } else { training.append(example) }
        }
        try self.init(
            training: training, heldOut: heldOut, contextLength: model.network.contextLength, maximumPromptLength: maximumPromptLength,
            padding: model.endOfText ?? 0)
    }

    /// One forward pass over the examples: rows 0..<B the chosen sequences, rows B..<2B the
    /// rejected ones, each prompt left-padded so every answer starts at the same position.
    public func sequenceBatch(_ examples: [Example]) throws -> SequenceBatch {
        let prompts = examples.map(\.prompt)
        return try SequenceBatch(prompts: prompts + prompts, responses: examples.map(\.chosen) + examples.map(\.rejected), padding: padding)
    }

    /// The summed log-probability [2B] of each answer in `batch` under `network` at temperature 1,
    /// recorded on `tape` when given.
    public static func logProbabilities(_ batch: SequenceBatch, network: any CausalLanguageModel, tape: Tape?) throws -> Tensor {
        try network.responseLogProbabilities(batch, temperature: 1, tape: tape).sumAlongLastAxis(mask: batch.responseMaskTensor)
    }

    /// The summed log-probabilities of every example's two answers, `batchSize` pairs a pass.
    public func logProbabilities(of examples: [Example], network: any CausalLanguageModel, batchSize: Int) throws -> [PairLogProbabilities] {
        var result: [PairLogProbabilities] = []
        result.reserveCapacity(examples.count)
        for start in stride(from: 0, to: examples.count, by: max(1, batchSize)) {
            let part = Array(examples[start..<min(examples.count, start + max(1, batchSize))])
            let values = try Self.logProbabilities(sequenceBatch(part), network: network, tape: nil).scalars
            result += part.indices.map { PairLogProbabilities(chosen: Double(values[$0]), rejected: Double(values[part.count + $0])) }
        }
        return result
    }
}
