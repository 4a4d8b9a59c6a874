// A language model with ILQL heads: the forward pass training reads (logits and Q-values at the
// action slots, values at the state slots, from one pass of the network), decoding with
// β-weighted advantages, and the folder it is saved as.
//
// Folder layout (what `rlhf ilql` writes as RUN/model and each checkpoint holds):
//   config.json, model.safetensors, tokenizer files   the language model (or, when adapters were
//                                                     trained, a PEFT adapter folder naming its base)
//   ilql_heads.safetensors                            Q-, target Q- and V-heads, trlX's names
//   ilql.json                                         head shapes and the default decoding
// The model part loads anywhere a --model is taken; ILQLPolicy.load reads all three.
import AtomicFiles
import Checkpoints
import Foundation
import LanguageModeling
import Randomness
import Tensors
import Transformer

public final class ILQLPolicy {
    public let model: LanguageModel
    public let heads: ILQLHeads
    public var decoding: ILQLDecoding

    public init(model: LanguageModel, heads: ILQLHeads, decoding: ILQLDecoding = ILQLDecoding()) throws {
        let network = model.network
        guard heads.hiddenSize == network.hiddenSize, heads.vocabularySize == network.vocabularySize else {
            throw TensorError.invalidShape(
                operation: "ILQLPolicy", [heads.hiddenSize, heads.vocabularySize],
                expected: "heads for hidden size \(network.hiddenSize) and vocabulary \(network.vocabularySize)")
        }
        self.model = model
        self.heads = heads
        self.decoding = decoding
    }

    /// `model` with fresh heads shaped and seeded as `configuration` says.
    public convenience init(model: LanguageModel, configuration: ILQLConfiguration) throws {
        let heads = try ILQLHeads(
            hiddenSize: model.network.hiddenSize, vocabularySize: model.network.vocabularySize, width: configuration.headWidth == 0 ? nil : configuration.headWidth,
            qCount: configuration.qHeadCount, seed: configuration.headSeed)
        try self.init(model: model, heads: heads, decoding: configuration.decoding)
    }

    /// The loss's inputs for `batch`, recorded on `tape` when given.
    public func outputs(_ batch: ILQLBatch, tape: Tape?) throws -> (logits: Tensor, qValues: [Tensor], targetQValues: [Tensor], values: Tensor) {
        let network = model.network
        let (P, R) = (batch.sequences.promptLength, batch.sequences.responseLength)
        let hidden = try network.hiddenStates(batch.sequences.input, tape: tape)
        let states = try hidden.slice(axis: 1, (P - 1)..<(P + R))
        let actions = try states.slice(axis: 1, 0..<R)
        return (
            try network.logits(actions, tape: tape), try heads.qValues(actions, tape: tape),
            try heads.targetQValues(actions), try heads.values(states, tape: tape))
    }

    /// The logits ILQL samples from at hidden states [B, C]: logits + β·(min target Q − V).
    /// trlX adds the advantages to log-softmax(logits); the shift per row changes no probability.
    public func adjustedLogits(hidden: Tensor, logits: Tensor, beta: Float) throws -> Tensor {
        let targets = try heads.targetQValues(hidden), values = try heads.values(hidden, tape: nil)
        let V = logits.shape.last
        var adjusted = logits.scalars
        let tables = targets.map(\.scalars), baseline = values.scalars
        for i in adjusted.indices {
            let q = tables.count == 1 ? tables[0][i] : min(tables[0][i], tables[1][i])
            adjusted[i] += beta * (q - baseline[i / V])
        }
        return try Tensor(shape: logits.shape, values: adjusted)
    }

    /// Continues each prompt (token ids) with the advantage-weighted policy, stopping at a stop
    /// token (not included) or the length limit.
    public func generate(_ prompts: [[Int32]], decoding: ILQLDecoding? = nil, generator: inout RandomGenerator) throws -> [Generation] {
        let decoding = decoding ?? self.decoding
        try decoding.validate()
        let stops = Set(model.stopTokens)
        return try model.network.generate(
            prompts: prompts, parameters: decoding.sampling(stopTokens: model.stopTokens), generator: &generator,
            padding: model.endOfText ?? 0,
            adjustingLogits: { hidden, logits in try self.adjustedLogits(hidden: hidden, logits: logits, beta: decoding.beta) }
        ).map { Generation(tokens: $0.tokens.filter { !stops.contains($0) }, finishReason: $0.finishReason) }
    }

    /// Continues each text prompt as text (a chat model's in its template).
    public func complete(_ prompts: [String], decoding: ILQLDecoding? = nil, generator: inout RandomGenerator) throws -> [String] {
        try generate(Self.promptTokens(prompts, model: model), decoding: decoding, generator: &generator).map { try model.decode($0.tokens) }
    }

    /// The token ids `complete` continues for each text prompt: a chat model's template around
    /// it, or its plain encoding (an empty one starts from the end-of-text token).
    public static func promptTokens(_ prompts: [String], model: LanguageModel) throws -> [[Int32]] {
        try prompts.map { text -> [Int32] in
            let ids = model.chatTemplate == nil ? model.encode(text) : try model.chatPrompt(user: text)
            return ids.isEmpty ? [model.endOfText ?? 0] : ids
        }
    }

    // MARK: Files

    static let settingsFileName = "ilql.json"

    struct Settings: Codable {
        var hiddenSize: Int
        var vocabularySize: Int
        var headWidth: Int
        var qHeads: Int
        var decoding: ILQLDecoding
    }

    /// Writes the folder described at the top of this file.
    public func save(to folder: URL) throws {
        try model.saveTrained(to: folder)
        try heads.save(to: folder.appendingPathComponent(ILQLHeads.fileName))
        let settings = Settings(
            hiddenSize: heads.hiddenSize, vocabularySize: heads.vocabularySize, headWidth: heads.width, qHeads: heads.qCount, decoding: decoding)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(settings).write(to: folder.appendingPathComponent(Self.settingsFileName), options: .atomic)
    }

    /// Reads a folder `save(to:)` wrote; `trainable` as for `LanguageModel.load`, which also reads
    /// the previous folder where a save was killed between the two renames of its swap: the
    /// settings and heads are read from the same one (AtomicFolder.readable).
    public static func load(from folder: URL, trainable: Bool = false) throws -> ILQLPolicy {
        let folder = AtomicFolder.readable(folder)
        let model = try LanguageModel.load(from: folder, trainable: trainable)
        let settingsURL = folder.appendingPathComponent(settingsFileName)
        guard let json = FileManager.default.contents(atPath: settingsURL.path) else { throw CheckpointError.missingFile(path: settingsURL.path) }
        let settings: Settings
        do { settings = try JSONDecoder().decode(Settings.self, from: json) } catch {
            throw CheckpointError.malformed(path: settingsURL.path, reason: "\(error)")
        }
        let heads = try ILQLHeads(
            hiddenSize: settings.hiddenSize, vocabularySize: settings.vocabularySize, width: settings.headWidth, qCount: settings.qHeads)
        try heads.load(from: folder.appendingPathComponent(ILQLHeads.fileName))
        return try ILQLPolicy(model: model, heads: heads, decoding: settings.decoding)
    }
}
