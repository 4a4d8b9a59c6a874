// The trainer learns a simple synthetic preference on a tiny model in seconds, generalises to
// held-out prompts, logs its metrics, normalises on policy samples, and is deterministic.
import Foundation
import LanguageModeling
import Reporting
import RewardModeling
import Testing
import TrainingRuns
import Transformer

@Suite struct TrainerTests {
    /// "good"/"great" answers preferred to "bad"/"awful" ones, a few as K-way rankings with a tie.
    static func comparisons(prompts: Range<Int>) -> [Comparison] {
        let positive = [" a good film", " a great movie", " good and great"], negative = [" a bad film", " an awful plot", " bad and awful"]
        return prompts.flatMap { p -> [Comparison] in
            let prompt = "the cat number \(p)"
            var items = (0..<3).map { k in
                Comparison(prompt: prompt, chosen: positive[(p + k) % 3], rejected: negative[(p + 2 * k) % 3], annotator: "rater-\(k)")
            }
            if p % 4 == 0 {
                items.append(Comparison(prompt: prompt, responses: [negative[0], positive[1], positive[2]], tiers: [1, 0, 0]))
            }
            return items
        }
    }

    static func configuration(seed: UInt64) -> RewardTrainingConfiguration {
        var configuration = RewardTrainingConfiguration()
        configuration.optimization.batchSize = 8
        configuration.optimization.learningRate = 3e-3
        configuration.optimization.minimumLearningRate = 3e-4
        configuration.optimization.warmupSteps = 3
        configuration.optimization.evaluationInterval = 10
        configuration.optimization.logInterval = 5
        configuration.optimization.seed = seed
        configuration.epochs = 4
        configuration.loss.centeringCoefficient = 0.01
        configuration.annotatorWeights = ["rater-2": 0.5]
        return configuration
    }

    func train(seed: UInt64, folder: URL) throws -> (RewardModel, PreferenceEvaluation?, [Double]) {
        let model = try RewardModel.fineTuning(tinyLanguageModel(), seed: 2)
        let trainer = try RewardTrainer(model: model, configuration: Self.configuration(seed: seed), run: RunFolder(folder))
        let samples = model.sequences(of: PolicySamples(
            prompts: (0..<16).map { model.backbone.encode("the cat number \($0)") },
            responses: (0..<16).map { model.backbone.encode($0 % 2 == 0 ? " a good film" : " an awful plot") }))
        var losses: [Double] = []
        let evaluation = try trainer.train(on: Self.comparisons(prompts: 0..<24), heldOut: Self.comparisons(prompts: 24..<30), normalizingOn: samples) {
            if case let .stepped(report) = $0 { losses.append(report.loss) }
        }
        return (model, evaluation, losses)
    }

    @Test func learnsASyntheticPreferenceAndGeneralises() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (model, evaluation, losses) = try train(seed: 9, folder: folder)
        #expect(losses.count == 4 * 10)  // 78 comparisons in batches of 8, four epochs
        let early = losses.prefix(5).reduce(0, +) / 5, late = losses.suffix(5).reduce(0, +) / 5
        #expect(late < 0.5 * early, "loss \(early) → \(late)")
        let result = try #require(evaluation)
        #expect(result.accuracy >= 0.95, "held-out accuracy \(result.accuracy)")
        #expect(result.meanMargin > 0 && result.tiedPairs == 2)
        // Normalised on the samples, then saved with its gain and bias.
        let saved = try RewardModel.load(from: RunFolder(folder).modelURL)
        #expect(saved.gain == model.gain && saved.bias == model.bias && model.gain != 1)
        let records = try MetricsLog.records(at: RunFolder(folder).metricsURL)
        #expect(records.contains { $0["eval_accuracy"] != nil } && records.contains { $0["reward_gain"] != nil })
        #expect(records.contains { ($0["step"] as? Int) == 5 && $0["loss"] != nil })
    }

    @Test func trainingIsDeterministicGivenSeeds() throws {
        let (a, b) = (try temporaryFolder(), try temporaryFolder())
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let (first, _, firstLosses) = try train(seed: 3, folder: a)
        let (second, _, secondLosses) = try train(seed: 3, folder: b)
        #expect(firstLosses == secondLosses)
        #expect(Array(first.backbone.network.parameters.allValues) == Array(second.backbone.network.parameters.allValues))
        #expect(first.head.weights == second.head.weights)
    }

    @Test func frozenParametersStayFixed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try RewardModel.fineTuning(tinyLanguageModel(), seed: 2)
        let parameters = model.backbone.network.parameters
        let before = Dictionary(uniqueKeysWithValues: parameters.layout.entries.map { entry in (entry.name, parameters.withValues(of: entry.name) { Array($0) }) })
        var configuration = Self.configuration(seed: 1)
        configuration.epochs = 1
        configuration.frozenParameters = ["wte", "h.0."]
        try RewardTrainer(model: model, configuration: configuration, run: RunFolder(folder)).train(on: Self.comparisons(prompts: 0..<8), heldOut: [])
        for entry in parameters.layout.entries {
            let after = parameters.withValues(of: entry.name) { Array($0) }
            let frozen = entry.name == "wte.weight" || entry.name.hasPrefix("h.0.")
            #expect((before[entry.name] == after) == frozen, "\(entry.name)")
        }
    }

    /// A backbone loaded for inference has no gradients to train: refused by name, not ignored.
    @Test func aBackboneWithoutGradientsIsRefused() throws {
        let inference = try tinyLanguageModel()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try inference.save(to: folder)
        let model = try RewardModel.fineTuning(LanguageModel.load(from: folder, trainable: false), seed: 2)
        #expect(throws: RewardTrainingError.self) {
            try RewardTrainer(model: model, configuration: RewardTrainingConfiguration(), run: RunFolder(folder))
        }
    }

    @Test func badSettingsAndDataAreNamed() throws {
        let model = try RewardModel.fineTuning(tinyLanguageModel(), seed: 2)
        var configuration = RewardTrainingConfiguration()
        configuration.loss.tieStrength = 0
        #expect(throws: RewardTrainingError.invalidSetting(field: "loss.tieStrength", expected: "a finite value > 0")) {
            try RewardTrainer(model: model, configuration: configuration, run: RunFolder(URL(fileURLWithPath: "/tmp/unused")))
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try RewardTrainer(model: model, configuration: RewardTrainingConfiguration(), run: RunFolder(folder))
        #expect(throws: RewardDataError.empty(source: "the training comparisons")) { try trainer.train(on: [], heldOut: []) }
        #expect(throws: RewardDataError.invalidComparison(index: 0, field: "responses", reason: "has 1; a comparison needs at least 2")) {
            try trainer.train(on: [Comparison(prompt: "p", responses: ["a"], tiers: [0])], heldOut: [])
        }
    }
}
