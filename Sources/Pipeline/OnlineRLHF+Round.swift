// One round's three steps: labels where they are worth most, the reward model retrained on every
// label so far, and PPO continued from the current policy (DPO is in OnlineRLHF+Preferences).
import ActiveLearning
import Annotators
import Checkpoints
import Evaluation
import Feedback
import FeedbackComparisons
import Foundation
import LanguageModeling
import PolicyOptimization
import RewardModeling
import SimulatedLabeling
import TrainingRuns
import Transformer

extension OnlineRLHF {
    var feedbackRound: FeedbackRound {
        FeedbackRound(
            sampling: Transformer.SamplingParameters(
                temperature: configuration.samplingTemperature, topK: configuration.samplingTopK, maxNewTokens: configuration.ppo.responseLength),
            annotators: configuration.annotators, annotatorTemperature: configuration.annotatorTemperature,
            annotatorTieMargin: configuration.annotatorTieMargin, lexiconURL: lexiconURL)
    }

    /// Samples the round's candidate tasks, ranks them by the previous reward model's uncertainty,
    /// and collects the round's judgments, then closes the round's tasks. A round restarted while
    /// people label a shared store finds its tasks there and goes on counting. Returns how many
    /// judgments the round's tasks have.
    func gatherLabels(round: Int, data: ReviewData, store: FeedbackStore, policyURL: URL, previousReward: RewardModel?) async throws -> Int {
        events(.stageStarted(index: 1, count: 3, name: "round \(round): labels"))
        let batch = batchName(round: round)
        var candidates = try await store.taskIDs(inBatch: batch).count
        if candidates > 0 {
            events(.note("round \(round): \(candidates) candidate tasks are already in the store"))
        } else {
            candidates = try await makeCandidateTasks(
                round: round, data: data, store: store, batch: batch, policyURL: policyURL, previousReward: previousReward)
        }
        var selection = configuration.selection
        selection.seed = configuration.seed &+ UInt64(round)
        let collected = try await collecting(on: store, by: selection) {
            try await collectJudgments(
                store, batch: batch, count: configuration.judgmentsPerRound, seed: configuration.seed &+ 31 &* UInt64(round), purpose: "round \(round)")
        }
        try await store.closeTasks(inBatch: batch)
        events(.note("round \(round): \(collected) judgments on \(candidates) candidate tasks"))
        return collected
    }

    /// The round's candidate tasks in `batch`, each with the previous reward model's uncertainty;
    /// returns how many.
    private func makeCandidateTasks(
        round: Int, data: ReviewData, store: FeedbackStore, batch: String, policyURL: URL, previousReward: RewardModel?
    ) async throws -> Int {
        let policy = try LanguageModel.load(from: policyURL, trainable: false)
        let prompts = ReviewData.prompts(
            from: data.training, openingWords: configuration.openingWords, count: configuration.candidateTasks, seed: configuration.seed &+ 1000 &* UInt64(round))
        var models = [(name: "round-\(round - 1)", model: policy, checkpoint: policyURL.path)]
        if configuration.includePreviousPolicy, round >= 2 {
            let earlierURL = round == 2 ? startURL : policyRun(round - 2).modelURL
            models.append((name: "round-\(round - 2)", model: try LanguageModel.load(from: earlierURL, trainable: false), checkpoint: earlierURL.path))
        }
        let samplesPerModel = models.count == 1 ? configuration.samplesPerTask : max(1, configuration.samplesPerTask - 1)
        return try await feedbackRound.createTasks(
            store, prompts: prompts, encoded: prompts.map(policy.encode), models: models, samplesPerModel: samplesPerModel,
            seed: configuration.seed &+ 7919 &* UInt64(round), batch: batch,
            uncertainties: previousReward.map { reward in { try self.uncertainties(of: $0, prompts: prompts, reward: reward) } }).count
    }

    /// Each task's uncertainty under `reward`: the boundary measure (1 − |2p − 1|) of the
    /// Bradley-Terry probability p of its closest pair of completions, the pair the model is
    /// least sure how to order (`rlhf tasks prioritize` measures the top pair instead).
    func uncertainties(of tasks: [[[Int32]]], prompts: [String], reward: RewardModel) throws -> [Double] {
        var promptTokens: [[Int32]] = [], responses: [[Int32]] = []
        for (task, prompt) in zip(tasks, prompts) {
            let encoded = reward.backbone.encode(prompt)
            for response in task {
                promptTokens.append(encoded)
                responses.append(response)
            }
        }
        let scores = try reward.scores(prompts: promptTokens, responses: responses, normalized: false).map(Double.init)
        var values: [Double] = [], offset = 0
        for task in tasks {
            let sorted = scores[offset..<offset + task.count].sorted()
            offset += task.count
            let closest = zip(sorted, sorted.dropFirst()).map { $1 - $0 }.min() ?? .infinity
            values.append(UncertaintyMeasure.boundary.value(probabilities: [1 / (1 + exp(-closest))]))
        }
        return values
    }

    /// A reward model from the starting model's backbone, trained on every ranking so far (held
    /// out by prompt) and normalised on the current policy's samples.
    func trainRewardModel(round: Int, data: ReviewData, policyURL: URL) async throws -> (model: RewardModel, accuracy: Double?) {
        events(.stageStarted(index: 2, count: 3, name: "round \(round): reward model"))
        let run = RunFolder(roundFolder(round).appendingPathComponent("reward"))
        let summary = roundFolder(round).appendingPathComponent("reward-evaluation.json")
        if let saved = RewardSummary.load(from: summary), let done = try? RewardModel.load(from: run.modelURL) {
            return (done, saved.accuracy)
        }
        let comparisons = try await labelledComparisons(rounds: 1...round).map(Comparison.init)
        var settings = configuration.reward
        settings.optimization.seed = configuration.seed &+ UInt64(round)
        let (training, heldOut) = HeldOutSplit(period: settings.heldOutPeriod).split(comparisons)
        let model = try RewardModel.fineTuning(LanguageModel.load(from: startURL), seed: configuration.seed &+ UInt64(round))
        let policy = try LanguageModel.load(from: policyURL, trainable: false)
        let prompts = ReviewData.prompts(
            from: data.training, openingWords: configuration.openingWords, count: settings.normalizationSamples, seed: configuration.seed &+ 5 &+ UInt64(round))
        let samples = try PolicySamples.draw(
            from: policy, prompts: prompts, count: settings.normalizationSamples,
            parameters: configuration.ppo.sampling,
            seed: configuration.seed &+ 6 &+ UInt64(round))
        let trainer = try RewardTrainer(model: model, configuration: settings, run: run)
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: model.sequences(of: samples)) { events(.reward($0)) }
        let saved = RewardSummary(evaluation)
        try saved.write(to: summary)
        events(.note("round \(round) reward model: \(training.count) comparisons, " + RewardSummary.note(evaluation)))
        return (model, saved.accuracy)
    }

    /// PPO from the current policy against the new reward model, the value network starting from
    /// it, the KL leash to `reference`.
    func optimize(round: Int, data: ReviewData, policyURL: URL, reward: RewardModel, reference: LanguageModel) throws -> LanguageModel {
        events(.stageStarted(index: 3, count: 3, name: "round \(round): policy optimisation"))
        let run = policyRun(round)
        if let done = try? LanguageModel.load(from: run.modelURL) { return done }
        let policy = try LanguageModel.load(from: policyURL)
        var ppo = configuration.ppo
        ppo.seed = configuration.seed &+ UInt64(round)
        let prompts = ReviewData.prompts(
            from: data.training, openingWords: configuration.openingWords, count: 4 * ppo.batchSize * ppo.iterations, seed: configuration.seed &+ 100 &+ UInt64(round))
        let models = try PolicyModels(
            policy: policy, value: ValueFunction.network(startingFrom: reward), temperature: ppo.temperature, reference: reference.network)
        let trainer = try PPOTrainer(
            models: models, scorer: RewardScorer(model: reward), prompts: prompts.map(policy.encode), configuration: ppo, run: run,
            monitor: JudgeScorer(judge: HiddenJudge.population(RaterLexicon(contentsOf: lexiconURL)), model: policy))
        try trainer.resumeFromLatestCheckpoint()
        try trainer.train { events(.policy(run: "round \(round)", $0)) }
        return policy
    }
}
