// Hugging Face checkpoint folders: config.json and model.safetensors, as transformers writes and
// reads them for GPT2LMHeadModel (and GPT2ForSequenceClassification with a scalar head).
import Checkpoints
import Foundation
import Tensors

extension GPT {
    public static let configFileName = "config.json"
    public static let weightsFileName = "model.safetensors"

    /// Loads a folder written by transformers or by `save(to:)`. Tensor names may carry the
    /// `transformer.` prefix or not; the attention-mask buffers of older files, and a
    /// classifier's `score.weight`, are not the network's and are left for their readers.
    public static func load(from folder: URL, trainable: Bool = true) throws -> GPT {
        guard FileManager.default.fileExists(atPath: folder.path) else { throw CheckpointError.missingFile(path: folder.path) }
        let configuration = try GPTConfiguration(huggingFaceConfig: folder.appendingPathComponent(configFileName))
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        let (tensors, _) = try SafeTensors.read(weightsURL)
        let keys = { (name: String) in ["transformer." + name, name] }
        _ = try ParameterStore.match(layout(for: configuration), in: tensors, from: weightsURL, keys: keys)
        let model = try GPT(configuration: configuration, trainable: trainable)
        try model.parameters.load(tensors, from: weightsURL, keys: keys)
        if let head = tensors["lm_head.weight"] {
            let embedding = model.parameters.withValues(of: "wte.weight") { Array($0) }
            guard head.values == embedding else {
                throw CheckpointError.invalidField(path: weightsURL.path, field: "lm_head.weight", reason: "differs from wte.weight; only tied output heads are supported")
            }
        }
        return model
    }

    /// Writes config.json and model.safetensors into `folder` (created if needed), each file
    /// atomically: a GPT2LMHeadModel, or with `scalarHead` a GPT2ForSequenceClassification.
    /// Names carry the `transformer.` prefix so transformers loads them as is.
    public func save(to folder: URL, scalarHead: ScalarHead?) throws {
        try writeCheckpoint(
            to: folder, key: { "transformer." + $0 }, config: configuration.huggingFaceConfig, scalarHead: scalarHead,
            classifier: "GPT2ForSequenceClassification", paddingToken: configuration.endOfTextToken)
    }
}
