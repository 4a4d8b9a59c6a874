// A round of simulated human feedback, as both demos run it: each model's samples for every
// prompt gathered into one ranking task in the feedback store (with provenance), then the panel
// of simulated annotators (annotator i judging with human rater i's column of VADER's ratings)
// taking turns until each task has its judgments.
import Annotators
import Evaluation
import Feedback
import Foundation
import LanguageModeling
import SimulatedLabeling
import Transformer

struct FeedbackRound {
    var sampling: Transformer.SamplingParameters
    var annotators: Int
    var annotatorTemperature: Double
    var annotatorTieMargin: Double
    var lexiconURL: URL
    var batchSize = 64

    /// A stored task and its responses as tokens, in the order stored.
    struct CreatedTask {
        var id: Int64
        var responses: [[Int32]]
    }

    /// One task per prompt holding `samplesPerModel` samples of each model, in the store's `batch`
    /// when given, every task stored in one transaction: prompt `i` is shown as `prompts[i]` and
    /// sampled from `encoded[i]`. Sample `k` of model `m` uses seed `seed + 1000·m + k`.
    /// `uncertainties`, given every task's responses, returns the value to store with each.
    @discardableResult
    func createTasks(
        _ store: FeedbackStore, prompts: [String], encoded: [[Int32]], models: [(name: String, model: LanguageModel, checkpoint: String)],
        samplesPerModel: Int, seed: UInt64, batch: String? = nil, uncertainties: (([[[Int32]]]) throws -> [Double])? = nil,
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) async throws -> [CreatedTask] {
        let total = prompts.count * models.count * samplesPerModel
        var done = 0
        var completions = Array(repeating: [NewCompletion](), count: prompts.count)
        var tokens = Array(repeating: [[Int32]](), count: prompts.count)
        let recorded = Feedback.SamplingParameters(temperature: Double(sampling.temperature), topK: sampling.topK, maxNewTokens: sampling.maxNewTokens)
        for (index, entry) in models.enumerated() {
            let stops = Set(entry.model.stopTokens)
            for k in 0..<samplesPerModel {
                let sampleSeed = seed &+ UInt64(1000 * index + k)
                let samples = try PolicyEvaluator.sample(
                    entry.model, prompts: encoded, sampling: sampling, seed: sampleSeed, batchSize: batchSize) { progress(done + $0, total) }
                done += samples.count
                for (row, sample) in samples.enumerated() {
                    let text = storableModelText(try entry.model.decode(sample.filter { !stops.contains($0) }))
                    completions[row].append(NewCompletion(text: text, provenance: Provenance(model: entry.name, checkpoint: entry.checkpoint, sampling: recorded, seed: sampleSeed)))
                    tokens[row].append(sample)
                }
            }
        }
        let values = try uncertainties?(tokens)
        let stored = try await store.createTasks(
            zip(prompts, completions).enumerated().map { NewTask(prompt: $1.0, completions: $1.1, uncertainty: values?[$0]) }, batch: batch)
        return try zip(stored, tokens).map { stored, responses in
            guard let id = stored.task.id else { throw DemoConfigurationError("the feedback store returned a task without an id") }
            return CreatedTask(id: id, responses: responses)
        }
    }

    /// The panel takes turns until each of `tasks` tasks has `judgmentsPerTask` judgments.
    func judge(_ store: FeedbackStore, tasks: Int, judgmentsPerTask: Int, seed: UInt64) async throws {
        try await judge(store, judgments: tasks * judgmentsPerTask, seed: seed)
    }

    /// The panel takes turns, each taking the task the store's queue serves it next, until they
    /// have made `judgments` judgments between them (or run out of tasks).
    func judge(_ store: FeedbackStore, judgments: Int, seed: UInt64) async throws {
        let lexicon = try RaterLexicon(contentsOf: lexiconURL)
        var panel = try LabelingSimulation(
            lexicon: lexicon, count: annotators, temperature: annotatorTemperature, tieMargin: annotatorTieMargin, seed: seed, namePrefix: "rater")
        for member in panel.members { _ = try await store.annotator(named: member.name) }
        _ = try await panel.run(on: store, judgmentsPerAnnotator: share(of: judgments))
    }

    /// Each annotator's share of `judgments`, rounded up so that they make at least that many.
    private func share(of judgments: Int) -> Int { (judgments + annotators - 1) / annotators }

    /// How many judgments `judge` makes when asked for `judgments` on `tasks` tasks: every
    /// annotator takes the same share, at most one per task. A store holding fewer was stopped
    /// before the panel finished, and is judged again rather than trusted.
    func judgmentsMade(asked judgments: Int, tasks: Int) -> Int {
        annotators * min(share(of: judgments), tasks)
    }
}
