// Checkpoint folders and state files: round trips, and named errors for every way a folder can
// be wrong.
import AtomicFiles
import Checkpoints
import Foundation
import Optimization
import Tensors
import Testing
import TestSupport
import Transformer

@Suite struct CheckpointTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func tinyModel() throws -> GPT {
        let model = try GPT(configuration: GPTConfiguration(vocabularySize: 30, contextLength: 12, width: 8, layers: 1, heads: 2, endOfTextToken: 29))
        model.initialize(seed: 4)
        return model
    }

    /// With a scalar head the folder is a GPT2ForSequenceClassification (its head's tensor beside
    /// the network's, one label, the padding token), and it still loads as the language model.
    @Test func savedFoldersLoadBackIdentically() throws {
        for withHead in [false, true] {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let model = try tinyModel()
            let head = ScalarHead(width: 8)
            head.initialize(seed: 5)
            try model.save(to: folder, scalarHead: withHead ? head : nil)
            let loaded = try GPT.load(from: folder)
            #expect(loaded.configuration == model.configuration)
            #expect(maximumDifference(Array(loaded.parameters.allValues), Array(model.parameters.allValues)) == 0)
            let (tensors, _) = try SafeTensors.read(folder.appendingPathComponent("model.safetensors"))
            #expect(tensors["transformer.wte.weight"] != nil && tensors["transformer.h.0.attn.c_attn.weight"]?.shape == [8, 24])
            #expect(tensors["score.weight"]?.values == (withHead ? head.weights : nil))
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
            #expect(config?["architectures"] as? [String] == [withHead ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel"])
            #expect((config?["num_labels"] as? Int) == (withHead ? 1 : nil) && (config?["pad_token_id"] as? Int) == (withHead ? 29 : nil))
        }
    }

    @Test func aTensorOfTheWrongShapeIsNamedWithBothShapes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try tinyModel().save(to: folder)
        let weights = folder.appendingPathComponent("model.safetensors")
        var (tensors, _) = try SafeTensors.read(weights)
        tensors["transformer.ln_f.bias"] = NamedTensor(name: "transformer.ln_f.bias", shape: [9], values: Array(repeating: 0, count: 9))
        let ordered = tensors.values.sorted { $0.name < $1.name }
        let buffers = ordered.map { $0.values }
        try buffers.withUnsafeBufferPointers { pointers in
            try SafeTensors.write(zip(ordered, pointers).map { ($0.name, $0.shape, $1) }, to: weights)
        }
        #expect(throws: CheckpointError.shapeMismatch(path: weights.path, tensor: "transformer.ln_f.bias", expected: [8], found: [9])) {
            try GPT.load(from: folder)
        }
    }

    @Test func missingAndMalformedPiecesAreNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        #expect(throws: CheckpointError.missingFile(path: config.path)) { try GPT.load(from: folder) }
        try Data("{\"model_type\": \"gpt2\", \"vocab_size\": 30}".utf8).write(to: config)
        #expect(throws: CheckpointError.invalidField(path: config.path, field: "n_positions", reason: "is missing")) { try GPT.load(from: folder) }
        try tinyModel().save(to: folder)
        let weights = folder.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count - 10).write(to: weights)
        #expect(throws: CheckpointError.self) { try GPT.load(from: folder) }
        try Data([1, 2, 3]).write(to: weights)
        #expect(throws: CheckpointError.malformed(path: weights.path, reason: "shorter than the 8-byte header length")) { try GPT.load(from: folder) }
    }

    /// Sizes in config.json are checked against the weights before anything is allocated for
    /// them: sizes no file holds (or whose products overflow) are refused by name, never trapped on.
    @Test func sizesTheWeightsDoNotHaveAreRefusedBeforeAllocation() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try tinyModel().save(to: folder)
        let config = folder.appendingPathComponent("config.json")
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as! [String: Any]
        for (key, value) in [("vocab_size", 4_611_686_018_427_387_904), ("n_positions", 100_000_000_000), ("n_layer", 1_000_000_000), ("n_embd", 1 << 40)] {
            var json = saved
            json[key] = value
            try JSONSerialization.data(withJSONObject: json).write(to: config)
            #expect { try GPT.load(from: folder) } throws: { error in
                guard case let CheckpointError.invalidField(_, field, _) = error else { return false }
                return field == key
            }
        }
        var json = saved
        json["n_positions"] = 4096
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        #expect(throws: CheckpointError.shapeMismatch(
            path: folder.appendingPathComponent("model.safetensors").path, tensor: "transformer.wpe.weight", expected: [4096, 8], found: [12, 8])) {
            try GPT.load(from: folder)
        }
    }

    struct Progress: Codable, Equatable {
        var step: Int
        var cursor: Int
    }

    @Test func trainingStateRoundTripsAndRefusesForeignFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("training-state.bin")
        let m: [Float] = [1, 2, 3], v: [Float] = [0.5, 0.25, 0.125]
        try m.withUnsafeBufferPointer { m in
            try v.withUnsafeBufferPointer { v in
                try TrainingStateFile.write(progress: Progress(step: 7, cursor: 99), firstMoments: m, secondMoments: v, to: url)
            }
        }
        let read = try TrainingStateFile.read(Progress.self, from: url)
        #expect(read.progress == Progress(step: 7, cursor: 99) && read.firstMoments == m && read.secondMoments == v)
        try Data("not a state file at all".utf8).write(to: url)
        #expect(throws: CheckpointError.malformed(path: url.path, reason: "not a training-state file (bad magic number)")) {
            try TrainingStateFile.read(Progress.self, from: url)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aFailedWriteLeavesTheOriginalFileUntouched() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        try AtomicFile.write(Data("original".utf8), to: url)
        struct Interrupted: Error {}
        #expect(throws: FileWriteError.self) {
            try AtomicFile.write(to: url) { handle in
                try handle.write(contentsOf: Data("partial".utf8))
                throw Interrupted()
            }
        }
        #expect(String(decoding: try Data(contentsOf: url), as: UTF8.self) == "original")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["config.json"])
    }
}

extension Array where Element == [Float] {
    /// Buffer pointers to every inner array for the duration of `body`.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
        var pointers: [UnsafeBufferPointer<Float>] = []
        let copies = map { values -> UnsafeMutableBufferPointer<Float> in
            let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
            _ = copy.initialize(from: values)
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        pointers = copies.map { UnsafeBufferPointer($0) }
        return try body(pointers)
    }
}
