// A reward model's folder. Fine-tuned: the Hugging Face *ForSequenceClassification checkpoint
// transformers loads (the backbone's weights and `score.weight` in model.safetensors, one label,
// the tokenizer), with the normalisation as `reward_gain`/`reward_bias` in config.json. Frozen:
// config.json naming the backbone's file and model.safetensors holding `score.weight` alone.
import AtomicFiles
import Checkpoints
import Foundation
import LanguageModeling
import Transformer

extension RewardModel {
    static let configFileName = "config.json"
    static let weightsFileName = "model.safetensors"

    /// Writes the folder whole (AtomicFolder.replace): under a hidden sibling name first, then
    /// swapped in, so that a process killed mid-save leaves the previous folder or this one,
    /// never files of both. Whatever else was in `folder` goes with the previous folder.
    public func save(to folder: URL) throws {
        try AtomicFolder.replace(folder) { try write(into: $0, replacing: folder) }
    }

    private func write(into folder: URL, replacing destination: URL) throws {
        var settings: [String: Any] = ["reward_maximum_tokens": maximumTokens, "reward_ends_with_end_of_text": endsResponsesWithEndOfText]
        if !readout.isEmpty { settings["reward_readout"] = readout }
        if readsChatPrompts { settings["reward_prompt_format"] = "chat" }
        switch kind {
        case .fineTuned:
            guard backbone.network.adapters == nil else {
                throw CheckpointError.invalidField(path: destination.path, field: "adapters", reason: "a reward model with adapters is saved merged: call backbone.network.mergeAdapters() first")
            }
            // The backbone writes a config.json that the reward settings then rewrite.
            try backbone.save(to: folder, scalarHead: head)
            let configURL = folder.appendingPathComponent(Self.configFileName)
            var config = try Self.config(at: configURL)
            config.merge(settings) { _, new in new }
            // transformers reads a classifier at the last token that is not padding: with the
            // end-of-text token as padding it would skip the very token this model reads at.
            // Without a padding token it reads the last position (one sequence at a time).
            if endsResponsesWithEndOfText { config.removeValue(forKey: "pad_token_id") }
            try Self.write(config, to: configURL)
        case let .frozen(file):
            let file = try keep(backbone: file, of: destination, in: folder)
            let family = backbone.network is Llama ? (type: "llama", architecture: "LlamaForSequenceClassification") : (type: "gpt2", architecture: "GPT2ForSequenceClassification")
            var config = head.classificationConfig(["model_type": family.type, "hidden_size": width], architecture: family.architecture, paddingToken: backbone.endOfText)
            config["frozen_backbone"] = ["path": file.standardizedFileURL.path, "file_name": file.lastPathComponent]
            config.merge(settings) { _, new in new }
            try Self.write(config, to: folder.appendingPathComponent(Self.configFileName))
            try head.save(to: folder.appendingPathComponent(Self.weightsFileName))
        }
    }

    /// The backbone file as the new folder names it. One inside the folder being replaced (where
    /// loading also looks for it) would be deleted with the previous folder: the new one gets it
    /// too, at the same place, as a hard link (or a copy where there can be none). One found in
    /// the set-aside previous folder is in `destination` by now, the save having put it back.
    private func keep(backbone file: URL, of destination: URL, in folder: URL) throws -> URL {
        let path = file.standardizedFileURL.path
        let roots = [destination, AtomicFolder.setAsideURL(of: destination)].map(\.standardizedFileURL.path)
        guard !roots.contains(path) else {
            throw FileWriteError(path: destination.path, reason: "is this reward model's frozen backbone, which the save would delete")
        }
        guard let inside = roots.first(where: { path.hasPrefix($0 + "/") }) else { return file }
        let relative = String(path.dropFirst(inside.count + 1))
        let source = destination.appendingPathComponent(relative), target = folder.appendingPathComponent(relative)
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            do { try manager.linkItem(at: source, to: target) } catch {
                try? manager.removeItem(at: target)
                try manager.copyItem(at: source, to: target)
            }
        } catch {
            throw FileWriteError(path: target.path, reason: "the backbone \(source.path) cannot be kept in the new folder (\(error.localizedDescription))")
        }
        return source
    }

    /// Whether `folder` holds a reward model (a sequence classifier, or a head on a frozen backbone).
    public static func isRewardModelFolder(_ folder: URL) -> Bool {
        guard let config = try? config(at: AtomicFolder.readable(folder).appendingPathComponent(configFileName)) else { return false }
        return config["frozen_backbone"] != nil || isClassifier(config)
    }

    /// Whether `folder` holds a head on a frozen backbone.
    public static func isFrozenBackboneFolder(_ folder: URL) -> Bool {
        (try? config(at: AtomicFolder.readable(folder).appendingPathComponent(configFileName)))?["frozen_backbone"] != nil
    }

    /// Loads a reward-model folder; a language model's folder is named as not a reward model.
    /// `trainable` allocates gradients for a fine-tuned backbone (to train it further). A folder
    /// whose save was killed between the two renames of its swap is read where the previous
    /// folder waits (AtomicFolder.readable): the model it held until then.
    public static func load(from folder: URL, trainable: Bool = false) throws -> RewardModel {
        let folder = AtomicFolder.readable(folder)
        let configURL = folder.appendingPathComponent(configFileName)
        let config = try config(at: configURL)
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        let maximumTokens = config["reward_maximum_tokens"] as? Int ?? config["maximum_tokens"] as? Int
        if let reference = config["frozen_backbone"] {
            let file = try frozenBackbone(reference, named: configURL, beside: folder)
            let backbone = try LanguageModel.load(from: file, trainable: false)
            let model = try RewardModel(
                backbone: backbone, head: ScalarHead(width: backbone.network.hiddenSize, trainable: trainable), kind: .frozen(file: file),
                maximumTokens: maximumTokens ?? 512, endsResponsesWithEndOfText: config["reward_ends_with_end_of_text"] as? Bool ?? false,
                readout: try readout(config, at: configURL), chatPrompts: try readsChatPrompts(config, at: configURL))
            try model.readHead(from: weightsURL, config: config)
            return model
        }
        guard isClassifier(config) else { throw RewardModelError.missingScalarHead(path: folder.path) }
        let model = try RewardModel(
            backbone: LanguageModel.load(from: folder, trainable: trainable), head: ScalarHead(width: try hiddenSize(config, at: configURL), trainable: trainable),
            kind: .fineTuned, maximumTokens: maximumTokens, endsResponsesWithEndOfText: config["reward_ends_with_end_of_text"] as? Bool ?? true,
            readout: try readout(config, at: configURL), chatPrompts: try readsChatPrompts(config, at: configURL))
        try model.readHead(from: weightsURL, config: config)
        return model
    }

    /// Fills the head from `score.weight` and the normalisation from config.json. Folders of
    /// the first frozen-backbone format also hold `score.bias`, which the normalisation absorbs:
    /// gain·(w·h + b) + bias = gain·w·h + (gain·b + bias).
    private func readHead(from url: URL, config: [String: Any]) throws {
        let tensors = try SafeTensors.read(url).tensors
        guard tensors[ScalarHead.weightName] != nil else { throw CheckpointError.missingTensor(path: url.path, tensor: ScalarHead.weightName) }
        try head.parameters.load(tensors.filter { $0.key == ScalarHead.weightName }, from: url)
        let gain = Float(config["reward_gain"] as? Double ?? 1), bias = Float(config["reward_bias"] as? Double ?? 0)
        let offset = tensors["score.bias"]?.values.first ?? 0
        setNormalization(gain: gain, bias: gain * offset + bias)
    }

    /// The backbone file a frozen-backbone folder names: the path recorded at training, or else
    /// a file of the same name beside the folder or in it.
    private static func frozenBackbone(_ reference: Any, named configURL: URL, beside folder: URL) throws -> URL {
        guard let reference = reference as? [String: Any], let path = (reference["path"] ?? reference["gguf"]) as? String,
              let name = reference["file_name"] as? String else {
            throw CheckpointError.invalidField(path: configURL.path, field: "frozen_backbone", reason: "lacks path and file_name")
        }
        let candidates = [URL(fileURLWithPath: path), folder.deletingLastPathComponent().appendingPathComponent(name), folder.appendingPathComponent(name)]
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw CheckpointError.missingFile(path: "\(path) (the backbone named in \(configURL.path))")
        }
        return file
    }

    private static func readsChatPrompts(_ config: [String: Any], at url: URL) throws -> Bool {
        guard let value = config["reward_prompt_format"] else { return false }
        switch value as? String {
        case "plain": return false
        case "chat": return true
        default: throw CheckpointError.invalidField(path: url.path, field: "reward_prompt_format", reason: "is neither \"plain\" nor \"chat\"")
        }
    }

    private static func readout(_ config: [String: Any], at url: URL) throws -> String {
        guard let value = config["reward_readout"] else { return "" }
        guard let text = value as? String else {
            throw CheckpointError.invalidField(path: url.path, field: "reward_readout", reason: "is not a string")
        }
        return text
    }

    private static func isClassifier(_ config: [String: Any]) -> Bool {
        (config["architectures"] as? [String] ?? []).contains { $0.hasSuffix("ForSequenceClassification") }
    }

    private static func hiddenSize(_ config: [String: Any], at url: URL) throws -> Int {
        guard let width = (config["hidden_size"] ?? config["n_embd"]) as? Int, width > 0 else {
            throw CheckpointError.invalidField(path: url.path, field: "hidden_size", reason: "is missing or not a positive integer")
        }
        return width
    }

    private static func config(at url: URL) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.malformed(path: url.path, reason: "not a JSON object")
        }
        return json
    }

    private static func write(_ config: [String: Any], to url: URL) throws {
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(json, to: url)
    }
}
