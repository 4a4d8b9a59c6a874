// `rlhf tasks select` and `rlhf tasks prioritize`: the labeling queue's policy, and the reward
// models' uncertainty about each task that the policy weighs. Both live in the database, so
// every `rlhf serve` sharing it follows them from the next request on.
import ActiveLearning
import ArgumentParser
import Feedback
import Foundation
import RewardModeling

extension TasksCommand {
    /// `rlhf tasks select`: sets (or, without options, shows) the queue's policy.
    struct Select: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set how the labeling page picks the next task: by uncertainty, disagreement and a random share, or coverage first.")

        @OptionGroup var database: DatabaseOptions

        @Flag(help: "Fewest judgments first, no randomness (the default policy).")
        var coverageFirst = false

        @Option(help: "Weight of the reward models' uncertainty (rlhf tasks prioritize writes it; default: the stored one, or \(TaskSelection().uncertaintyWeight)).")
        var uncertaintyWeight: Double?

        @Option(help: "Weight of annotators' disagreement so far (default: the stored one, or \(TaskSelection().disagreementWeight)).")
        var disagreementWeight: Double?

        @Option(help: "Share of requests answered with a uniformly random task, 0...1 (default: the stored one, or \(TaskSelection().randomShare)).")
        var randomShare: Double?

        @Option(help: "Seed of the random picks (default: the stored one, or \(TaskSelection().seed)).")
        var seed: UInt64?

        func run() async throws {
            // Setting the queue's policy may come before any task: like `tasks import`, it creates the store.
            let store = try await database.openStore()
            let changes = uncertaintyWeight != nil || disagreementWeight != nil || randomShare != nil || seed != nil
            if coverageFirst && changes { throw ValidationError("--coverage-first takes no weights") }
            if coverageFirst || changes {
                // Options not given keep the queue's values (the defaults' when it orders by coverage).
                let stored = try await store.taskSelection()
                var selection = coverageFirst ? .coverageFirst : stored == .coverageFirst ? TaskSelection() : stored
                selection.uncertaintyWeight = uncertaintyWeight ?? selection.uncertaintyWeight
                selection.disagreementWeight = disagreementWeight ?? selection.disagreementWeight
                selection.randomShare = randomShare ?? selection.randomShare
                selection.seed = seed ?? selection.seed
                try await store.setTaskSelection(selection)
            }
            let selection = try await store.taskSelection()
            print(selection == .coverageFirst ? "coverage first" : String(
                format: "uncertainty weight %g, disagreement weight %g, random share %g, seed %llu",
                selection.uncertaintyWeight, selection.disagreementWeight, selection.randomShare, selection.seed))
        }
    }

    /// `rlhf tasks prioritize`: scores every task's completions with one or more reward models
    /// and stores how uncertain they are about its top pair.
    struct Prioritize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store each task's uncertainty under reward models: the Bradley-Terry probability of its top pair near ½, or models disagreeing.")

        @OptionGroup var database: DatabaseOptions

        @Option(name: .customLong("reward"), help: "A reward model folder; repeat for an ensemble (e.g. several seeds).")
        var rewards: [String]

        @Option(help: "boundary (mean probability near ½) or spread (the models disagree; needs several).")
        var measure = UncertaintyMeasure.boundary

        @Option(help: "Sequences per forward pass.")
        var batchSize = 32

        func validate() throws {
            guard !rewards.isEmpty else { throw ValidationError("give at least one --reward") }
            guard measure == .boundary || rewards.count >= 2 else { throw ValidationError("--measure spread needs two or more --reward models") }
            try CountOption.check(batchSize, "--batch-size")
        }

        func run() async throws {
            let store = try await database.openExistingStore()
            var tasks: [(id: Int64, prompt: String, completions: [String])] = []
            for id in try await store.taskIDs() {
                let details = try await store.taskDetails(id: id)
                tasks.append((id, details.prompt.text, details.completions.map(\.text)))
            }
            let prompts = tasks.flatMap { task in task.completions.map { _ in task.prompt } }
            let responses = tasks.flatMap(\.completions)
            // rewards[model][response], read back per task below.
            let rewards = try rewards.map { folder in
                try RewardModel.load(from: URL(fileURLWithPath: folder))
                    .scores(prompts: prompts, responses: responses, batchSize: batchSize, normalized: false).map(Double.init)
            }
            var values: [Int64: Double] = [:]
            var offset = 0
            for task in tasks {
                let range = offset..<(offset + task.completions.count)
                values[task.id] = measure.topPair(rewards: rewards.map { Array($0[range]) })
                offset = range.upperBound
            }
            try await store.setTaskUncertainties(values)
            let mean = values.values.reduce(0, +) / Double(max(1, values.count))
            print(String(format: "stored the uncertainty of %d tasks (mean %.3f) in %@", values.count, mean, database.displayName))
        }
    }
}
