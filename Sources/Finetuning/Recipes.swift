// The run configurations of `rlhf pretrain` and `rlhf sft`, and the steps that turn a corpus or
// a demonstrations file into a trainer: tokenizing once, splitting off held-out data.
import AtomicFiles
import Checkpoints
import Corpora
import Foundation
import LanguageModelData
import LanguageModeling
import Optimization
import StableHashing
import Tokenization
import TrainingRuns
import Transformer

/// The architecture of a model trained from scratch.
public struct ModelShape: Codable, Sendable, Equatable {
    public var contextLength = 128
    public var width = 192
    public var layers = 4
    public var heads = 4

    public init() {}

    public func configuration(vocabularySize: Int, endOfText: Int32?) -> GPTConfiguration {
        GPTConfiguration(vocabularySize: vocabularySize, contextLength: contextLength, width: width, layers: layers, heads: heads, endOfTextToken: endOfText)
    }
}

public struct PretrainingConfiguration: Codable, Sendable, Equatable {
    public var model = ModelShape()
    public var optimization: OptimizationSettings = {
        var settings = OptimizationSettings()
        settings.steps = 600
        settings.batchSize = 16
        settings.learningRate = 2e-3
        settings.minimumLearningRate = 2e-4
        settings.warmupSteps = 40
        settings.evaluationInterval = 100
        settings.checkpointInterval = 200
        return settings
    }()
    /// One chunk of 4,096 tokens in this many is held out for evaluation.
    public var heldOutPeriod = 20
    /// Initialisation seed of the fresh model.
    public var initializationSeed: UInt64 = 1

    public init() {}

    public func validate() throws {
        try validateSettings(under: "optimization") { try optimization.validate() }
        guard heldOutPeriod >= 2 else {
            throw OptimizationError.invalidSetting(field: "heldOutPeriod", expected: "≥ 2 (one chunk in this many is held out: evaluation needs some, training the rest)")
        }
    }
}

public struct SupervisedConfiguration: Codable, Sendable, Equatable {
    public var optimization: OptimizationSettings = {
        var settings = OptimizationSettings()
        settings.steps = 300
        settings.batchSize = 16
        settings.learningRate = 5e-4
        settings.minimumLearningRate = 5e-5
        settings.warmupSteps = 20
        settings.weightDecay = 0
        settings.evaluationInterval = 100
        settings.checkpointInterval = 100
        return settings
    }()
    /// One demonstration in this many (chosen by prompt, so a prompt is never on both sides) is held out.
    public var heldOutPeriod = 20
    /// Low-rank adapters to train instead of the whole model (nil: full fine-tuning).
    public var lora: LoRAConfiguration?
    /// Seed of the adapters' initialisation and dropout.
    public var loraSeed: UInt64 = 0

    public init() {}

    public func validate() throws {
        try validateSettings(under: "optimization") { try optimization.validate() }
        try lora?.validate()
        guard heldOutPeriod == 0 || heldOutPeriod >= 2 else {
            throw OptimizationError.invalidSetting(field: "heldOutPeriod", expected: "0 (none held out) or ≥ 2 (one demonstration in this many is held out)")
        }
    }
}

public enum Recipes {
    /// The corpus as one token stream with `<|endoftext|>` between documents, split into training
    /// and held-out streams; cached as token files in the run folder and reused by later runs,
    /// beside a record of what they were made from (the tokenizer's fingerprint, a digest of the
    /// corpus text and the split): a run given another tokenizer, corpus or split is refused by
    /// name rather than trained on the old ids.
    public static func tokenStreams(
        corpus: [URL], tokenizer: BPETokenizer, run: RunFolder, heldOutPeriod: Int
    ) throws -> (training: [Int32], heldOut: [Int32]) {
        let folder = run.url.appendingPathComponent("data")
        let trainingURL = folder.appendingPathComponent("train.tokens")
        let heldOutURL = folder.appendingPathComponent("heldout.tokens")
        let originURL = folder.appendingPathComponent("streams.json")
        let documents = try TextCorpus.documents(at: corpus)
        let origin = TokenStreamsOrigin(tokenizer: tokenizer.fingerprint, corpus: TokenStreamsOrigin.digest(documents), heldOutPeriod: heldOutPeriod)
        if FileManager.default.fileExists(atPath: trainingURL.path), FileManager.default.fileExists(atPath: heldOutURL.path) {
            // Token files from before the record was kept are taken as they are.
            if let data = FileManager.default.contents(atPath: originURL.path) {
                try origin.check(against: (try? JSONDecoder().decode(TokenStreamsOrigin.self, from: data)), file: originURL.path)
            }
            return (try TokenFile.read(trainingURL), try TokenFile.read(heldOutURL))
        }
        let separator = tokenizer.specialTokenID("<|endoftext|>").map { [Int32($0)] } ?? []
        var stream: [Int32] = []
        for document in documents {
            stream += tokenizer.encode(document).map(Int32.init)
            stream += separator
        }
        let split = PretrainingData.split(stream, period: heldOutPeriod)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The record first: token files without one are then only ever a folder from before it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try AtomicFile.write(try encoder.encode(origin), to: originURL)
        try TokenFile.write(split.training, to: trainingURL)
        try TokenFile.write(split.heldOut, to: heldOutURL)
        return split
    }

    /// Tokenized demonstrations for `model`, split by prompt into training and held-out sets. A
    /// model with a chat template reads the conversation in it and learns the answer followed by
    /// its end-of-turn token; a plain model reads the prompt text (an empty one as `<|endoftext|>`,
    /// as DPO reads it) and learns the answer followed by `<|endoftext|>`. A demonstration the
    /// model cannot read so (turns before the prompt and no chat template; an empty prompt and no
    /// end-of-text token) is refused by its file and line (`LanguageModel.examplePrompt`).
    public static func instructionData(
        _ demonstrations: [Demonstration], model: LanguageModel, heldOutPeriod: Int, seed: UInt64
    ) throws -> InstructionData {
        let endOfText = model.endOfText.map { [$0] } ?? []
        let split = HeldOutSplit(period: heldOutPeriod)
        var training: [InstructionData.Example] = [], heldOut: [InstructionData.Example] = []
        for (index, demonstration) in demonstrations.enumerated() {
            let prompt = try model.examplePrompt(
                demonstration.prompt, context: demonstration.context, location: demonstration.location, number: index + 1)
            let example = InstructionData.Example(prompt: prompt, response: model.encode(demonstration.response) + endOfText)
            if split.isHeldOut(demonstration.prompt) {
                heldOut.append(example)
            } else {
                training.append(example)
            }
        }
        guard !training.isEmpty || heldOut.isEmpty else {
            throw OptimizationError.invalidSetting(
                field: "heldOutPeriod", expected: "a period that leaves demonstrations to train on (all \(demonstrations.count) fell in the held-out share)")
        }
        return InstructionData(
            training: training, heldOut: heldOut, maximumLength: model.network.contextLength,
            padding: model.endOfText ?? 0, seed: seed)
    }
}

/// What a run folder's token files were made from.
struct TokenStreamsOrigin: Codable, Equatable {
    var tokenizer: String
    var corpus: String
    var heldOutPeriod: Int

    /// FNV-1a (64-bit) over every document's UTF-8 with a separator after each, in hexadecimal.
    static func digest(_ documents: [String]) -> String {
        var hash = StableHash()
        for document in documents {
            hash.combine(bytes: document.utf8)
            hash.combine(UInt8(0xFF))
        }
        return hash.hexadecimal
    }

    /// Throws naming the first field in which `recorded` (nil: unreadable) differs from this.
    func check(against recorded: TokenStreamsOrigin?, file: String) throws {
        guard let recorded else {
            throw CheckpointError.malformed(path: file, reason: "not a record of the token files' tokenizer, corpus and split")
        }
        let advice = "the token files beside it were made from other input; give this run its own --output, or the input it was begun with"
        if recorded.tokenizer != tokenizer {
            throw CheckpointError.invalidField(path: file, field: "tokenizer", reason: "is \(recorded.tokenizer), this run's is \(tokenizer): \(advice)")
        }
        if recorded.corpus != corpus {
            throw CheckpointError.invalidField(path: file, field: "corpus", reason: "is \(recorded.corpus), this run's text is \(corpus): \(advice)")
        }
        if recorded.heldOutPeriod != heldOutPeriod {
            throw CheckpointError.invalidField(
                path: file, field: "heldOutPeriod", reason: "is \(recorded.heldOutPeriod), this run's is \(heldOutPeriod): \(advice)")
        }
    }
}
