// A reward model on a pretrained backbone kept fixed (SmolLM2-135M from its GGUF file): the
// scalar head reads the backbone's final hidden state at the last real token of prompt +
// response, as LlamaForSequenceClassification does. Only the head is trained, so the backbone's
// features are computed once per text and cached. The folder holds the head and a reference to
// the backbone file, not a copy of its 540 MB of weights.
import Checkpoints
import Foundation
import LanguageModeling
import Transformer

public final class FrozenBackboneRewardModel: TextRewardScorer, @unchecked Sendable {
    public let backbone: LanguageModel
    /// The GGUF file the backbone was read from, recorded in the saved folder.
    public let backboneFile: URL
    /// score.weight [C]: raw score = head·h + headBias.
    public private(set) var head: [Float]
    public private(set) var headBias: Float = 0
    /// reward = gain·raw + bias.
    public private(set) var gain: Float = 1
    public private(set) var bias: Float = 0
    /// Longest prompt + response read, in tokens; longer ones keep their end.
    public let maximumTokens: Int
    /// Where `scores` looks up and keeps backbone features, when set.
    public var featureCache: BackboneFeatureCache?
    /// Follows the backbone pass of `scores` (done, total).
    public var featureProgress: (Int, Int) -> Void = { _, _ in }

    /// A cache file for this model's backbone at `url` (read if it exists).
    public func openFeatureCache(at url: URL) throws -> BackboneFeatureCache {
        try BackboneFeatureCache(url: url, width: width, backbone: "\(backboneFile.lastPathComponent) (\(maximumTokens) tokens)")
    }

    /// A zero head on `backbone` (a model read from a GGUF file, whose path the folder records).
    public init(backbone: LanguageModel, maximumTokens: Int = 512) throws {
        guard let file = backbone.source else {
            throw CheckpointError.invalidField(path: "reward model", field: "backbone", reason: "must be read from a file, which the reward model's folder refers to")
        }
        self.backbone = backbone
        backboneFile = file
        self.maximumTokens = maximumTokens
        head = [Float](repeating: 0, count: backbone.network.hiddenSize)
    }

    public var width: Int { head.count }

    /// The tokens a pair is read on: prompt then response as text, no end token (a frozen
    /// backbone's state at its end-of-text token carries less of the text than at its last word).
    public func sequence(prompt: String, response: String) -> [Int32] {
        let tokens = backbone.encode(prompt) + backbone.encode(response)
        return Array((tokens.isEmpty ? backbone.encode(" ") : tokens).suffix(min(maximumTokens, backbone.network.contextLength)))
    }

    /// Backbone features [N·C] of token sequences, in batches of similar lengths, through
    /// `cache` when given (computed only for sequences it lacks). `progress(done, total)`.
    public func features(
        of sequences: [[Int32]], cache: BackboneFeatureCache? = nil, batchSize: Int = 16, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [Float] {
        var result = [Float](repeating: 0, count: sequences.count * width)
        var missing: [Int] = []
        for (row, sequence) in sequences.enumerated() {
            if let cached = cache?.features(of: sequence) {
                result.replaceSubrange((row * width)..<((row + 1) * width), with: cached)
            } else {
                missing.append(row)
            }
        }
        missing.sort { sequences[$0].count < sequences[$1].count }
        var done = sequences.count - missing.count
        progress(done, sequences.count)
        for start in stride(from: 0, to: missing.count, by: max(batchSize, 1)) {
            let rows = Array(missing[start..<min(start + max(batchSize, 1), missing.count)])
            let hidden = try backbone.network.lastHiddenStates(rows.map { sequences[$0] })
            for (index, row) in rows.enumerated() {
                let values = hidden[(index * width)..<((index + 1) * width)]
                result.replaceSubrange((row * width)..<((row + 1) * width), with: values)
                cache?.insert(Array(values), for: sequences[row])
            }
            done += rows.count
            progress(done, sequences.count)
        }
        return result
    }

    /// Raw head outputs of features [N·C].
    public func rawScores(features: [Float]) -> [Float] {
        stride(from: 0, to: features.count, by: width).map { start in
            var total = headBias
            for j in 0..<width { total += head[j] * features[start + j] }
            return total
        }
    }

    public func scores(prompts: [String], responses: [String], batchSize: Int = 16, normalized: Bool = true) throws -> [Float] {
        guard prompts.count == responses.count else { throw RewardModelError.countMismatch(prompts: prompts.count, responses: responses.count) }
        let sequences = zip(prompts, responses).map { sequence(prompt: $0, response: $1) }
        let raw = rawScores(features: try features(of: sequences, cache: featureCache, batchSize: batchSize, progress: featureProgress))
        return normalized ? raw.map { gain * $0 + bias } : raw
    }

    public func setHead(_ weights: [Float], bias: Float) {
        precondition(weights.count == width, "a head of \(weights.count) weights for width \(width)")
        head = weights
        headBias = bias
    }

    /// Gain and bias so that these raw scores get mean 0 and standard deviation 1.
    public func normalize(rawScores raw: [Float]) throws {
        let values = raw.map(Double.init)
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))).squareRoot()
        guard values.count >= 2, deviation > 1e-6, deviation.isFinite else {
            throw RewardModelError.degenerateNormalization(samples: values.count, standardDeviation: deviation)
        }
        gain = Float(1 / deviation)
        bias = Float(-mean / deviation)
    }

    // MARK: The folder

    static let architecture = "LlamaForSequenceClassification"

    /// config.json (the head's architecture, the backbone file, normalisation) and
    /// model.safetensors (score.weight [1, C], score.bias [1]), each written atomically.
    public func save(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let layers = (backbone.network as? Llama)?.configuration.layers ?? 0
        let config: [String: Any] = [
            "architectures": [Self.architecture], "model_type": "llama", "num_labels": 1, "hidden_size": width,
            "frozen_backbone": ["gguf": backboneFile.standardizedFileURL.path, "file_name": backboneFile.lastPathComponent, "layers": layers],
            "maximum_tokens": maximumTokens, "reward_gain": Double(gain), "reward_bias": Double(bias),
        ]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(json, to: folder.appendingPathComponent("config.json"))
        let weights = head, offset = [headBias]
        try weights.withUnsafeBufferPointer { w in
            try offset.withUnsafeBufferPointer { b in
                try SafeTensors.write([("score.weight", [1, width], w), ("score.bias", [1], b)], to: folder.appendingPathComponent("model.safetensors"))
            }
        }
    }

    /// Whether `folder`'s config.json names a frozen-backbone reward model.
    public static func isFrozenBackboneFolder(_ folder: URL) -> Bool {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("config.json")),
              let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return config["frozen_backbone"] != nil
    }

    /// Loads the head and its backbone: the GGUF path recorded at training, or else a file of the
    /// same name beside the folder or in it.
    public static func load(from folder: URL) throws -> FrozenBackboneRewardModel {
        let configURL = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path),
              let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let reference = config["frozen_backbone"] as? [String: Any], let path = reference["gguf"] as? String,
              let name = reference["file_name"] as? String else {
            throw CheckpointError.invalidField(path: configURL.path, field: "frozen_backbone", reason: "is missing or lacks gguf and file_name")
        }
        let candidates = [URL(fileURLWithPath: path), folder.deletingLastPathComponent().appendingPathComponent(name), folder.appendingPathComponent(name)]
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw CheckpointError.missingFile(path: "\(path) (the backbone named in \(configURL.path))")
        }
        let model = try FrozenBackboneRewardModel(backbone: try LanguageModel.load(from: file, trainable: false), maximumTokens: config["maximum_tokens"] as? Int ?? 512)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        let tensors = try SafeTensors.read(weightsURL).tensors
        guard let weight = tensors["score.weight"], let offset = tensors["score.bias"] else {
            throw CheckpointError.missingTensor(path: weightsURL.path, tensor: tensors["score.weight"] == nil ? "score.weight" : "score.bias")
        }
        guard weight.shape == [1, model.width], offset.shape == [1] else {
            throw CheckpointError.shapeMismatch(path: weightsURL.path, tensor: "score.weight", expected: [1, model.width], found: weight.shape)
        }
        model.setHead(weight.values, bias: offset.values[0])
        model.gain = Float(config["reward_gain"] as? Double ?? 1)
        model.bias = Float(config["reward_bias"] as? Double ?? 0)
        return model
    }
}
