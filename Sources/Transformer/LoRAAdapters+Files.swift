// PEFT's adapter folder: adapter_config.json and adapter_model.safetensors with keys such as
// `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`, so an adapter trained here
// loads with `PeftModel.from_pretrained` onto the same base, and one trained there loads here.
import AtomicFiles
import Checkpoints
import Foundation
import Tensors

extension LoRAAdapters {
    /// Writes the adapter folder (created if needed), each file atomically.
    public func save(to folder: URL, baseModel: String?) throws {
        try FileManager.default.createCheckpointFolder(folder)
        try parameters.write(to: folder.appendingPathComponent(LoRAConfiguration.weightsFileName))
        let fanInFanOut = targets.values.contains { $0.inputsByOutputs }
        let json = try JSONSerialization.data(
            withJSONObject: configuration.peftConfig(baseModel: baseModel, fanInFanOut: fanInFanOut), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(json, to: folder.appendingPathComponent(LoRAConfiguration.configFileName))
    }

    /// Reads an adapter folder for a model whose adaptable layers are `candidates`. Every
    /// tensor the configuration implies must be present with its shape, and the file may hold
    /// no others (an adapter for another architecture is refused, naming the first stray key).
    public static func load(from folder: URL, candidates: [LoRATarget], trainable: Bool = true, seed: UInt64 = 0) throws -> LoRAAdapters {
        let configuration = try LoRAConfiguration(peftConfig: folder.appendingPathComponent(LoRAConfiguration.configFileName))
        let weightsURL = folder.appendingPathComponent(LoRAConfiguration.weightsFileName)
        let (stored, _) = try SafeTensors.read(weightsURL)
        let layout: ParameterLayout
        do {
            layout = try plan(configuration, candidates: candidates).layout
        } catch let CheckpointError.invalidField(_, field, reason) {
            throw CheckpointError.invalidField(path: folder.appendingPathComponent(LoRAConfiguration.configFileName).path, field: field, reason: reason)
        }
        // PEFT keeps the adapter's name in memory (`lora_A.default.weight`); a file saved from
        // memory rather than by save_pretrained may carry it.
        let keys = { (name: String) in [name, name.replacingOccurrences(of: ".weight", with: ".default.weight")] }
        // The file's shapes are checked before anything is allocated: a rank the configuration
        // claims but the file does not hold must not size the adapters.
        _ = try ParameterStore.match(layout, in: stored, from: weightsURL, keys: keys)
        let adapters = try LoRAAdapters(configuration: configuration, candidates: candidates, seed: seed)
        let used = try adapters.parameters.load(stored, from: weightsURL, keys: keys)
        if let stray = stored.keys.sorted().first(where: { !used.contains($0) }) {
            throw CheckpointError.invalidField(path: weightsURL.path, field: stray, reason: "is not an adapter of this model's layers")
        }
        if !trainable { adapters.parameters.freeze { _ in true } }
        return adapters
    }
}
