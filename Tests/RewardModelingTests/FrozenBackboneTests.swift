// The reward model on a frozen SmolLM2 backbone (the real GGUF file from scripts/fetch-data.sh):
// the head learns a preference the backbone's features carry and generalises to held-out
// prompts, the folder round-trips, normalisation, the feature cache, and named errors.
import Checkpoints
import Foundation
import LanguageModeling
import RewardModeling
import Testing
import TrainingRuns

@Suite struct FrozenBackboneTests {
    static let modelFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    nonisolated(unsafe) static let backbone: Result<LanguageModel, any Error> = Result {
        guard FileManager.default.fileExists(atPath: modelFile.path) else {
            throw RewardDataError.empty(source: "\(modelFile.path): missing, run scripts/fetch-data.sh")
        }
        return try LanguageModel.load(from: modelFile, trainable: false)
    }

    /// Praise preferred to complaint, in words the head never sees together: training pairs
    /// use one set of adjectives, held-out pairs another.
    static func comparisons(_ praise: [String], _ complaint: [String], subjects: [String]) -> [Comparison] {
        subjects.enumerated().flatMap { index, subject in
            praise.indices.map { k in
                Comparison(prompt: "", chosen: "The \(subject) was \(praise[k]).", rejected: "The \(subject) was \(complaint[(k + index) % complaint.count]).")
            }
        }
    }

    static let training = comparisons(["wonderful", "superb", "delightful", "moving"], ["dreadful", "boring", "tedious", "awful"],
                                      subjects: ["film", "acting", "script", "ending", "music", "story"])
    static let heldOut = comparisons(["brilliant", "charming"], ["terrible", "dull"], subjects: ["movie", "cast", "plot"])

    static func configuration() -> RewardTrainingConfiguration {
        var configuration = RewardTrainingConfiguration()
        configuration.epochs = 30
        configuration.optimization.batchSize = 8
        configuration.optimization.learningRate = 1e-2
        configuration.optimization.minimumLearningRate = 1e-3
        configuration.optimization.warmupSteps = 2
        configuration.optimization.evaluationInterval = 0
        configuration.optimization.seed = 3
        return configuration
    }

    func trained(in folder: URL, cache: URL? = nil) throws -> (RewardModel, PreferenceEvaluation?) {
        let model = try RewardModel.frozen(try Self.backbone.get(), maximumTokens: 64)
        model.featureCache = try cache.map { try model.openFeatureCache(at: $0) }
        let trainer = try RewardTrainer(model: model, configuration: Self.configuration(), run: RunFolder(folder))
        let samples = ["great fun", "a mess", "fine", "not good at all", "lovely", "grim"].map { (prompt: "", response: "It was \($0).") }
        let evaluation = try trainer.train(on: Self.training, heldOut: Self.heldOut, normalizingOn: model.sequences(of: samples))
        model.featureCache = nil
        return (model, evaluation)
    }

    @Test func learnsAPreferenceAndGeneralisesToUnseenWords() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (model, evaluation) = try trained(in: folder)
        let result = try #require(evaluation)
        #expect(result.pairs == Self.heldOut.count)
        #expect(result.accuracy == 1, "held-out pairs of adjectives never trained on")
        let scores = try model.scores(prompts: ["", ""], responses: ["The movie was brilliant.", "The movie was terrible."])
        #expect(scores[0] > scores[1])
        let metrics = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"eval_accuracy\"") && metrics.contains("\"reward_gain\""))
    }

    @Test func normalisesOnSamplesAndRoundTripsItsFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (model, _) = try trained(in: folder)
        let samples = ["great fun", "a mess", "fine", "not good at all", "lovely", "grim"].map { "It was \($0)." }
        let rewards = try model.scores(prompts: samples.map { _ in "" }, responses: samples).map(Double.init)
        let mean = rewards.reduce(0, +) / 6
        let deviation = (rewards.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6).squareRoot()
        #expect(abs(mean) < 1e-4 && abs(deviation - 1) < 1e-4)

        let saved = folder.appendingPathComponent("model")
        #expect(RewardModel.isFrozenBackboneFolder(saved))
        let tensors = try SafeTensors.read(saved.appendingPathComponent("model.safetensors")).tensors
        #expect(Set(tensors.keys) == ["score.weight"], "the folder holds the head, not a copy of the backbone")
        let loaded = try RewardModel.load(from: saved)
        #expect(loaded.isFrozen && loaded.head.weights == model.head.weights && !loaded.endsResponsesWithEndOfText)
        #expect(loaded.gain == model.gain && loaded.bias == model.bias && loaded.maximumTokens == 64)
        #expect(try loaded.scores(prompts: samples.map { _ in "" }, responses: samples).map(Double.init) == rewards)
    }

    @Test func featureCacheGivesTheSameFeaturesAndRefusesAnotherBackbone() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cacheURL = folder.appendingPathComponent("features.safetensors")
        let (first, _) = try trained(in: folder.appendingPathComponent("a"), cache: cacheURL)
        let model = try RewardModel.frozen(try Self.backbone.get(), maximumTokens: 64)
        let cache = try model.openFeatureCache(at: cacheURL)
        let texts = Self.training.flatMap(\.responses) + Self.heldOut.flatMap(\.responses)
        #expect(cache.count == Set(texts).count + 6)
        let sequences = try texts.map { try model.sequence(prompt: "", response: $0) }
        var computedFromCache = 0
        let cached = try model.features(of: sequences, cache: cache) { done, _ in computedFromCache = max(computedFromCache, done) }
        // Fresh, the texts are batched otherwise (other padding), which moves the last bits only.
        let fresh = try model.features(of: sequences)
        #expect(zip(cached, fresh).map { abs($0 - $1) }.max()! < 1e-3)
        #expect(computedFromCache == sequences.count)
        // Trained again from the cache, the head is the same.
        let (second, _) = try trained(in: folder.appendingPathComponent("b"), cache: cacheURL)
        #expect(second.head.weights == first.head.weights)

        let other = try RewardModel.frozen(try Self.backbone.get(), maximumTokens: 32)
        #expect(throws: (any Error).self) { try other.openFeatureCache(at: cacheURL) }
    }

    /// A model that reads chat prompts reads the request as the chat policy's prompt tokens, so
    /// its text pairs and the policy's token pairs are the same sequences; the folder keeps it.
    @Test func chatPromptsAreReadAsTheChatPolicyReadsThem() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let backbone = try Self.backbone.get()
        let model = try RewardModel.frozen(backbone, maximumTokens: 96, readout: " Overall:", chatPrompts: true)
        let prompt = try backbone.chatPrompt(user: "Review it:")
        #expect(try model.sequence(prompt: "Review it:", response: "A joy.") == prompt + backbone.encode("A joy.") + backbone.encode(" Overall:"))
        #expect(try model.sequence(prompt: "Review it:", response: "A joy.") == model.sequence(prompt: prompt, response: backbone.encode("A joy.")))
        model.head.initialize(seed: 2)
        let saved = folder.appendingPathComponent("rm")
        try model.save(to: saved)
        let loaded = try RewardModel.load(from: saved)
        #expect(loaded.readsChatPrompts)
        #expect(try loaded.scores(prompts: ["Review it:"], responses: ["A joy."]) == model.scores(prompts: ["Review it:"], responses: ["A joy."]))

        let configURL = saved.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        #expect(config["reward_prompt_format"] as? String == "chat")
        config["reward_prompt_format"] = "markdown"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        #expect(throws: CheckpointError.invalidField(path: configURL.path, field: "reward_prompt_format", reason: "is neither \"plain\" nor \"chat\"")) {
            try RewardModel.load(from: saved)
        }
        let plain = try LanguageModel(network: backbone.network, tokenizer: backbone.tokenizer, source: backbone.source)
        #expect(throws: RewardTrainingError.invalidSetting(field: "chatPrompts", expected: "a backbone with a chat template")) {
            try RewardModel.frozen(plain, chatPrompts: true)
        }
    }

    @Test func theReadoutIsReadAfterEveryResponseAndKeptInTheFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let backbone = try Self.backbone.get()
        let readout = "\nOverall, the review above is"
        let model = try RewardModel.frozen(backbone, maximumTokens: 64, readout: readout)
        let plain = try RewardModel.frozen(backbone, maximumTokens: 64)
        let suffix = backbone.encode(readout)
        let sequence = try model.sequence(prompt: "Review it:", response: " A joy.")
        #expect(try sequence == plain.sequence(prompt: "Review it:", response: " A joy.") + suffix)
        #expect(model.sequence(prompt: [1, 2], response: [3]) == [1, 2, 3] + suffix)
        // The head reads another state than at the review's last word.
        let features = try model.features(of: [sequence]), plainFeatures = try plain.features(of: [try plain.sequence(prompt: "Review it:", response: " A joy.")])
        #expect(features != plainFeatures)

        model.head.initialize(seed: 1)
        let saved = folder.appendingPathComponent("rm")
        try model.save(to: saved)
        let loaded = try RewardModel.load(from: saved)
        #expect(loaded.readout == readout)
        #expect(try loaded.scores(prompts: ["Review it:"], responses: [" A joy."]) == model.scores(prompts: ["Review it:"], responses: [" A joy."]))

        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: saved.appendingPathComponent("config.json"))) as? [String: Any])
        config["reward_readout"] = 3
        try JSONSerialization.data(withJSONObject: config).write(to: saved.appendingPathComponent("config.json"))
        #expect(throws: CheckpointError.invalidField(path: saved.appendingPathComponent("config.json").path, field: "reward_readout", reason: "is not a string")) {
            try RewardModel.load(from: saved)
        }
    }

    @Test func aMissingBackboneIsNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try RewardModel.frozen(try Self.backbone.get())
        let saved = folder.appendingPathComponent("rm")
        try model.save(to: saved)
        var config = try String(contentsOf: saved.appendingPathComponent("config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "SmolLM2-135M-Instruct.Q4_1.gguf", with: "gone.gguf")
        try config.write(to: saved.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        do {
            _ = try RewardModel.load(from: saved)
            Issue.record("loading a head whose backbone is gone should fail")
        } catch {
            #expect("\(error)".contains("gone.gguf") && "\(error)".contains("config.json"))
        }
    }
}
