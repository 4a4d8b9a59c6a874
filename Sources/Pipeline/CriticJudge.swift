// The second hidden judge of both demos: a head on a frozen SmolLM2 backbone learned from real
// critics' fresh ≻ rotten verdicts on training movies only, which no policy and no reward model
// ever reads. Word-rating annotators and the population judge share a lexicon family, so a
// policy that games one games the other; the critics' judge shares nothing with them.
import Corpora
import Foundation
import LanguageModeling
import Randomness
import RewardModeling
import TrainingRuns

/// A head on the frozen backbone scoring a review's text alone (an empty prompt, as the critics'
/// snippets were read) by how fresh a critic would call it.
struct CriticJudge {
    /// What it was trained on and how well it separates held-out movies' verdicts (critic/evaluation.json).
    struct Summary: Codable {
        var trainingSnippets: Int
        var auc: Double?
        var evaluationSnippets: Int
    }

    let model: RewardModel
    let summary: Summary

    /// `model` reading a policy's answers alone, as the critics' snippets were read.
    static func scorer(_ model: RewardModel, for policy: LanguageModel) -> DecodedResponseScorer {
        DecodedResponseScorer(reward: model, model: policy, batchSize: 32, promptText: { _ in "" })
    }

    /// `model` reading a scratch policy's whole snippet: the opening words it was given and what
    /// it wrote after them.
    static func snippetScorer(_ model: RewardModel, for policy: LanguageModel) -> any ResponseScorer {
        WholeSnippetScorer(answers: scorer(model, for: policy))
    }

    /// The judge finished in `run`, or trained there: fresh ≻ rotten pairs within training movies
    /// (whole movies, in a seeded order, until `snippets` snippets), its ROC AUC measured on
    /// `evaluationSnippets` of held-out movies' snippets.
    static func trainOrLoad(
        in run: RunFolder, data: ReviewData, backbone: LanguageModel, snippets: Int, evaluationSnippets: Int,
        configuration: RewardTrainingConfiguration, seed: UInt64, events: @escaping (DemoEvent) -> Void
    ) throws -> CriticJudge {
        let summary = run.url.appendingPathComponent("evaluation.json")
        if let done = try? RewardModel.load(from: run.modelURL),
           let measured = try? JSONDecoder().decode(Summary.self, from: Data(contentsOf: summary)) {
            return CriticJudge(model: done, summary: measured)
        }
        let training = wholeMovies(data.training, upTo: snippets, seed: seed &+ 21)
        let evaluation = wholeMovies(data.heldOut, upTo: evaluationSnippets, seed: seed &+ 22)
        let pairs = RottenTomatoesData(snippets: training, split: HeldOutSplit(period: 0), seed: seed).trainingPairs
        let (fit, heldOut) = HeldOutSplit(period: configuration.heldOutPeriod).split(pairs)
        let critic = try RewardModel.frozen(backbone)
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        let cache = try critic.openFeatureCache(at: run.url.appendingPathComponent("backbone-features.safetensors"))
        critic.featureCache = cache
        critic.featureProgress = { done, total in events(.reading(what: "critic features", done: done, total: total)) }
        let trainer = try RewardTrainer(model: critic, configuration: configuration, run: run)
        let texts = training.map { (prompt: "", response: $0.text) }
        try trainer.train(on: fit, heldOut: heldOut, normalizingOn: try critic.sequences(of: texts), events: { events(.reward($0)) })
        let scores = try critic.scores(prompts: evaluation.map { _ in "" }, responses: evaluation.map(\.text)).map(Double.init)
        try cache.save()
        // Judging the policies' answers later reads each once; caching them would only grow the
        // file, and a bar per judging batch would only flicker.
        critic.featureCache = nil
        critic.featureProgress = { _, _ in }
        let auc = ReceiverOperatingCharacteristic.area(scores: scores, labels: evaluation.map { $0.verdict == .fresh })
        let measured = Summary(trainingSnippets: training.count, auc: auc, evaluationSnippets: evaluation.count)
        try JSONEncoder().encode(measured).write(to: summary, options: .atomic)
        events(.note(String(format: "critics' judge: %d training snippets, ROC AUC %.3f on %d held-out movies' snippets", training.count, auc ?? .nan, evaluation.count)))
        return CriticJudge(model: critic, summary: measured)
    }

    /// Snippets of whole movies, taken in a seeded order of the movies until `limit` is reached.
    static func wholeMovies(_ snippets: [ReviewSnippet], upTo limit: Int, seed: UInt64) -> [ReviewSnippet] {
        let byMovie = Dictionary(grouping: snippets, by: \.movie)
        let movies = byMovie.keys.sorted()
        var generator = RandomGenerator(seed: seed)
        var chosen: [ReviewSnippet] = []
        for index in generator.permutation(movies.count) where chosen.count < limit {
            chosen += byMovie[movies[index], default: []].prefix(limit - chosen.count)
        }
        return chosen
    }
}

/// A scorer of the prompt and response read together as one answer.
private struct WholeSnippetScorer: ResponseScorer {
    let answers: DecodedResponseScorer

    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        try answers.scores(prompts: prompts.map { _ in [] }, responses: zip(prompts, responses).map { $0 + $1 })
    }
}
