// A parameter store to and from safetensors files, for every format whose tensors are a model's
// parameters under some naming: GPT-2 and Llama checkpoints, PEFT adapters.
import AtomicFiles
import Checkpoints
import Foundation
import Tensors
import TextFiles

extension ParameterStore {
    /// Fills every parameter from `tensors` (read from `url`), taking the first of `keys(name)`
    /// the file holds; each missing tensor or wrong shape is named. Returns the keys used.
    @discardableResult
    public func load(_ tensors: [String: NamedTensor], from url: URL, keys: (String) -> [String] = { [$0] }) throws -> Set<String> {
        let found = try Self.match(layout, in: tensors, from: url, keys: keys)
        for (entry, key) in zip(layout.entries, found) {
            withValues(of: entry.name) { _ = $0.update(fromContentsOf: tensors[key]!.values) }
        }
        return Set(found)
    }

    /// The key of each of `layout`'s entries in `tensors`, whose shape must be the entry's: run
    /// before a store is allocated from a configuration file, so sizes the weights do not have
    /// are refused by name instead of allocated.
    public static func match(_ layout: ParameterLayout, in tensors: [String: NamedTensor], from url: URL, keys: (String) -> [String] = { [$0] }) throws -> [String] {
        try layout.entries.map { entry in
            guard let key = keys(entry.name).first(where: { tensors[$0] != nil }), let tensor = tensors[key] else {
                throw CheckpointError.missingTensor(path: url.path, tensor: entry.name)
            }
            guard tensor.shape == entry.shape.dimensions else {
                throw CheckpointError.shapeMismatch(path: url.path, tensor: tensor.name, expected: entry.shape.dimensions, found: tensor.shape)
            }
            return key
        }
    }

    /// Writes every parameter to a safetensors file (atomically), naming each `key(name)`.
    public func write(to url: URL, key: @escaping (String) -> String = { $0 }) throws {
        try Self.write([(self, key)], to: url)
    }

    /// Writes several stores' parameters into one safetensors file (atomically), each store
    /// naming its tensors by its own `key`: a network and its heads, as one checkpoint.
    public static func write(_ stores: [(ParameterStore, (String) -> String)], to url: URL) throws {
        let tensors = stores.flatMap { store, key in
            let values = UnsafeBufferPointer(store.allValues)
            return store.layout.entries.map { entry in
                (name: key(entry.name), shape: entry.shape.dimensions, values: UnsafeBufferPointer(rebasing: values[entry.range]))
            }
        }
        try SafeTensors.write(tensors, metadata: ["format": "pt"], to: url)
    }
}

extension CausalLanguageModel {
    /// Writes a family's checkpoint folder (created if needed), each file atomically: the base
    /// weights named by `key` in model.safetensors with config.json, or with `scalarHead` the
    /// family's sequence classifier (`classifier`), the head's `score.weight` beside them.
    func writeCheckpoint(
        to folder: URL, key: @escaping (String) -> String, config: [String: Any], scalarHead: ScalarHead?, classifier: String, paddingToken: Int32?
    ) throws {
        try FileManager.default.createCheckpointFolder(folder)
        var stores: [(ParameterStore, (String) -> String)] = [(parameters, key)]
        if let scalarHead { stores.append((scalarHead.parameters, { $0 })) }
        try ParameterStore.write(stores, to: folder.appendingPathComponent("model.safetensors"))
        let config = scalarHead.map { $0.classificationConfig(config, architecture: classifier, paddingToken: paddingToken) } ?? config
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json, to: folder.appendingPathComponent("config.json"))
    }
}

extension FileManager {
    /// Creates a checkpoint folder (and its parents) or names it in the error.
    func createCheckpointFolder(_ folder: URL) throws {
        do {
            try createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.writeFailed(path: folder.path, reason: FileProblem.reason(error))
        }
    }
}
