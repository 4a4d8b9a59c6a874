// `rlhf reward`: stage 2 of RLHF, the reward model: train it on comparisons, score text with
// it, evaluate it, and the data and experiment steps around it.
import ArgumentParser

struct RewardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward",
        abstract: "Train, score with and evaluate a reward model (a scalar head on a GPT-2 or Llama transformer, fine-tuned or frozen, trained on comparisons).",
        subcommands: [
            RewardTrainCommand.self, RewardScoreCommand.self, RewardEvalCommand.self,
            RottenTomatoesCommand.self, SampleTasksCommand.self, LearningCurveCommand.self, ActiveCurveCommand.self,
        ])
}
