// The RLHF demo on a real model, stage by stage in one run folder: SmolLM2-135M-Instruct writes
// one-sentence movie reviews for chat prompts from training movies → the simulated annotators
// rank them → a reward head on the frozen backbone learns the rankings → PPO-LoRA and DPO-LoRA
// train adapters, best-of-N picks among samples → each is compared with the starting model on
// held-out movies by the population judge and by a judge of real critics' verdicts that the
// policy side never sees → HTML report. A stage whose output is in the folder is skipped.
import Corpora
import Feedback
import Foundation
import LanguageModeling
import Transformer

public final class SmolLM2DemoPipeline {
    public let configuration: SmolLM2DemoConfiguration
    public let folder: URL
    public let dataFolder: URL
    /// How each copy of the starting model holds its frozen matrices. Not part of the folder's
    /// configuration: the model is the same either way, though PPO's trajectory may differ by
    /// rounding (docs/engine.md), so stages made under either may resume under the other.
    public let frozenMatrices: FrozenMatrices
    let events: (DemoEvent) -> Void
    /// Announces and times the stages.
    private(set) lazy var stages = StageClock(names: Self.stageNames, events: events)

    /// `frozenMatrices` is f32 by default: sampling 64 rows at once then multiplies the Floats
    /// instead of decoding every matrix at every step (408 against 308 tokens/s with
    /// `rlhf-bench smollm2-worker generate-b64`), for about 400 MB more per copy of the model.
    public init(
        configuration: SmolLM2DemoConfiguration, folder: URL, dataFolder: URL, frozenMatrices: FrozenMatrices = .float32,
        events: @escaping (DemoEvent) -> Void
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.folder = folder
        self.dataFolder = dataFolder
        self.frozenMatrices = frozenMatrices
        self.events = events
    }

    func url(_ path: String) -> URL { folder.appendingPathComponent(path) }
    var lexiconURL: URL { dataFolder.appendingPathComponent("reward/vader_lexicon.txt") }

    static let stageNames = [
        "data and the starting model", "feedback from simulated annotators", "reward model", "critics' judge", "PPO-LoRA", "DPO-LoRA",
        "best-of-N", "evaluation", "report",
    ]

    public func run() async throws -> SmolLM2DemoOutcome {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (data, model) = try await stages.run(0) { try prepare() }
        try await stages.run(1) { try await collectFeedback(data, model: model) }
        let reward = try await stages.run(2) { try await trainRewardModel(model) }
        let critic = try await stages.run(3) { try trainCriticJudge(data, model: model) }
        let ppo = try await stages.run(4) { try optimizeWithPPO(data, reward: reward.model) }
        let dpo = try await stages.run(5) { try await optimizeWithDPO() }
        let evaluation = try encodedPrompts(data.heldOut, count: configuration.evaluationPrompts, seed: configuration.seed &+ 3, model: model)
        let best = try await stages.run(6) { try sampleBestOfN(evaluation, model: model, reward: reward.model) }
        let outcome = try await stages.run(7) {
            try evaluate(evaluation, model: model, policies: ppo.map { (name: "PPO-LoRA seed \($0.seed)", model: $0.model) } + [(name: "DPO-LoRA", model: dpo)],
                         bestOfN: best, critic: critic, rewardAccuracy: reward.accuracy)
        }
        try await stages.run(8) { try writeReport(outcome, ppo: ppo) }
        return outcome
    }


    var modelURL: URL { dataFolder.appendingPathComponent(configuration.modelFile) }

    /// The starting model, frozen (every policy trains adapters on its own copy of it).
    func loadModel() throws -> LanguageModel {
        try LanguageModel.load(from: modelURL, trainable: false, frozenMatrices: frozenMatrices)
    }

    func prepare() throws -> (ReviewData, LanguageModel) {
        let snippets = try RottenTomatoes.snippets(at: dataFolder.appendingPathComponent("reward/rotten_tomatoes_corpus_full.csv"))
        let data = ReviewData(snippets: snippets, heldOutFraction: configuration.heldOutMovieFraction, seed: configuration.seed)
        let model = try loadModel()
        guard model.chatTemplate != nil else {
            throw DemoConfigurationError("\(modelURL.path) has no ChatML template; the SmolLM2 demo prompts an instruction-tuned chat model")
        }
        events(.note("\(data.training.count) training and \(data.heldOut.count) held-out critic snippets (split by movie)"))
        return (data, model)
    }

    /// The request for a review of `snippet`'s movie beginning with its first words.
    public static func request(for snippet: ReviewSnippet, openingWords: Int) -> String? {
        guard let opening = ReviewData.opening(of: snippet.text, words: openingWords)?.prompt else { return nil }
        let title = snippet.movie.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        return "Write a one-sentence review of the film \"\(title)\" that begins with \"\(opening)\"."
    }

    /// Distinct requests for the given snippets' movies, in a seeded order, with the film each names.
    func requests(_ snippets: [ReviewSnippet], count: Int, seed: UInt64) -> (texts: [String], films: [String]) {
        ReviewData.prompts(from: snippets, count: count, seed: seed) { Self.request(for: $0, openingWords: configuration.openingWords) }
    }

    /// Requests with their chat prompts (the template's default system message, then the request).
    func encodedPrompts(_ snippets: [ReviewSnippet], count: Int, seed: UInt64, model: LanguageModel) throws -> ChatPrompts {
        let (texts, films) = requests(snippets, count: count, seed: seed)
        return ChatPrompts(texts: texts, films: films, tokens: try texts.map { try model.chatPrompt(user: $0) })
    }
}

/// Chat prompts and the plain requests they carry, which the reward models and the report read.
struct ChatPrompts {
    var texts: [String]
    /// The film each request asks about: prompts about one film are not independent evidence.
    var films: [String]
    var tokens: [[Int32]]

    func prefix(_ count: Int) -> ChatPrompts {
        ChatPrompts(texts: Array(texts.prefix(count)), films: Array(films.prefix(count)), tokens: Array(tokens.prefix(count)))
    }

    /// The request of each prompt's tokens, for scorers handed token ids.
    var textOfTokens: ([Int32]) throws -> String {
        let table = Dictionary(zip(tokens, texts), uniquingKeysWith: { first, _ in first })
        return { tokens in
            guard let text = table[tokens] else { throw DemoConfigurationError("a prompt the demo did not make was scored") }
            return text
        }
    }
}
