// The end-to-end RLHF demo, stage by stage, in one run folder: data → tokenizer → pretraining →
// SFT → samples ranked by simulated annotators → reward model → PPO (several seeds) →
// evaluation against the hidden population judge → leaderboard → HTML report. A stage whose
// output is already in the folder is skipped, so an interrupted demo resumes where it stopped.
import Corpora
import Evaluation
import Finetuning
import Foundation
import LanguageModelData
import LanguageModeling
import PolicyOptimization
import RewardModeling
import Tokenization
import TrainingRuns
import Transformer

public enum DemoEvent: Sendable {
    case stageStarted(index: Int, count: Int, name: String)
    case stageFinished(name: String, seconds: Double)
    case training(stage: String, TrainingEvent)
    case reward(RewardTrainingEvent)
    /// A PPO run's progress; `run` names it ("seed 0", "round 2").
    case policy(run: String, PPOEvent)
    /// Progress of a pass that is not training (a frozen backbone's features, say), counted in `unit`s.
    case reading(what: String, done: Int, total: Int, unit: String = "text")
    case note(String)
}

public final class DemoPipeline {
    public let configuration: DemoConfiguration
    public let folder: URL
    /// The fetched data (scripts/fetch-data.sh).
    public let dataFolder: URL
    let events: (DemoEvent) -> Void
    /// Announces and times the stages.
    private(set) lazy var stages = StageClock(names: Self.stageNames, events: events)

    public init(configuration: DemoConfiguration, folder: URL, dataFolder: URL, events: @escaping (DemoEvent) -> Void) throws {
        try configuration.validate()
        self.configuration = configuration
        self.folder = folder
        self.dataFolder = dataFolder
        self.events = events
    }

    func url(_ path: String) -> URL { folder.appendingPathComponent(path) }

    static let stageNames = [
        "data", "tokenizer", "pretraining", "supervised fine-tuning", "feedback from simulated annotators",
        "reward model", "policy optimisation", "evaluation", "leaderboard", "report",
    ]

    /// Runs every stage; returns the evaluation summary also written to evaluation.json.
    public func run() async throws -> DemoOutcome {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = try await stages.run(0) { try prepareData() }
        let tokenizer = try await stages.run(1) { try trainTokenizer(data) }
        let pretrained = try await stages.run(2) { try pretrain(data, tokenizer: tokenizer) }
        let supervised = try await stages.run(3) { try finetune(data) }
        try await stages.run(4) { try await collectFeedback(data, model: supervised) }
        let reward = try await stages.run(5) { try await trainRewardModel(data, supervised: supervised) }
        let scorer = RewardScorer(model: reward.model)
        let policies = try await stages.run(6) { try optimizePolicies(data, scorer: scorer, valueInitialization: reward.model) }
        let outcome = try await stages.run(7) {
            try evaluate(data, supervised: supervised, policies: policies, scorer: scorer, rewardAccuracy: reward.accuracy)
        }
        let leaderboard = try await stages.run(8) { try await rankModels(data, models: [("pretrained", pretrained), ("sft", supervised), ("ppo", policies[0].model)]) }
        try await stages.run(9) { try writeReport(outcome: outcome, leaderboard: leaderboard, policies: policies) }
        return outcome
    }


    // MARK: Stages 1–4

    func prepareData() throws -> ReviewData {
        let snippets = try RottenTomatoes.snippets(at: dataFolder.appendingPathComponent("reward/rotten_tomatoes_corpus_full.csv"))
        let data = ReviewData(snippets: snippets, heldOutFraction: configuration.heldOutMovieFraction, seed: configuration.seed)
        let demonstrations = url("data/demonstrations.jsonl")
        if !FileManager.default.fileExists(atPath: demonstrations.path) {
            try FileManager.default.createDirectory(at: url("data"), withIntermediateDirectories: true)
            try DemonstrationFile.write(data.demonstrations(openingWords: configuration.openingWords), to: demonstrations)
        }
        events(.note("\(data.training.count) training and \(data.heldOut.count) held-out critic snippets (split by movie)"))
        return data
    }

    /// Novels, fortunes and the training movies' reviews: the language the model learns first.
    func corpus(_ data: ReviewData) throws -> [URL] {
        let reviews = url("data/reviews.txt")
        if !FileManager.default.fileExists(atPath: reviews.path) {
            try Data(data.training.map(\.text).joined(separator: "\n%\n").utf8).write(to: reviews, options: .atomic)
        }
        return ["corpus/austen", "corpus/novels", "corpus/fortunes", "corpus/hamlet.txt"].map { dataFolder.appendingPathComponent($0) } + [reviews]
    }

    func trainTokenizer(_ data: ReviewData) throws -> BPETokenizer {
        let output = url("tokenizer")
        if let existing = try? BPETokenizer(directory: output) { return existing }
        let documents = try TextCorpus.documents(at: corpus(data))
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: configuration.vocabularySize)).train(on: documents)
        try tokenizer.save(to: output)
        return tokenizer
    }

    func pretrain(_ data: ReviewData, tokenizer: BPETokenizer) throws -> LanguageModel {
        let run = RunFolder(url("pretrain"))
        if let done = try? LanguageModel.load(from: run.modelURL) { return done }
        var settings = PretrainingConfiguration().optimization
        settings.steps = configuration.pretrainSteps
        settings.seed = configuration.seed
        settings.checkpointInterval = max(50, configuration.pretrainSteps / 4)
        let streams = try Recipes.tokenStreams(corpus: corpus(data), tokenizer: tokenizer, run: run, heldOutPeriod: 20)
        let endOfText = tokenizer.specialTokenID("<|endoftext|>").map(Int32.init)
        let network = try GPT(configuration: configuration.model.configuration(vocabularySize: tokenizer.vocabularySize, endOfText: endOfText))
        network.initialize(seed: configuration.seed + 1)
        let trainer = try LanguageModelTrainer(
            model: LanguageModel(network: network, tokenizer: tokenizer),
            data: PretrainingData(training: streams.training, heldOut: streams.heldOut, window: configuration.model.contextLength, seed: configuration.seed),
            settings: settings, run: run)
        try trainer.resumeFromLatestCheckpoint()
        try trainer.train { events(.training(stage: "pretrain", $0)) }
        return trainer.model
    }

    /// Fine-tunes a fresh copy of the pretrained model (the pretrained one stays as it is for the leaderboard).
    func finetune(_ data: ReviewData) throws -> LanguageModel {
        let run = RunFolder(url("sft"))
        if let done = try? LanguageModel.load(from: run.modelURL) { return done }
        var settings = SupervisedConfiguration().optimization
        settings.steps = configuration.supervisedSteps
        settings.seed = configuration.seed
        let model = try LanguageModel.load(from: RunFolder(url("pretrain")).modelURL)
        let instructions = try Recipes.instructionData(
            DemonstrationFile.read(url("data/demonstrations.jsonl")), model: model, heldOutPeriod: 20, seed: configuration.seed)
        let trainer = try LanguageModelTrainer(model: model, data: instructions, settings: settings, run: run)
        try trainer.resumeFromLatestCheckpoint()
        try trainer.train { events(.training(stage: "sft", $0)) }
        return trainer.model
    }
}
