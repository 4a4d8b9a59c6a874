// The `rlhf` command line: one root command whose subcommands each do one job.

import ArgumentParser

/// The root command; each stage of the pipeline adds its subcommands here.
@main
struct RLHFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf",
        abstract: "An RLHF workbench: train a GPT, collect human feedback, train a reward model, optimise the policy with PPO, evaluate.",
        subcommands: [
            DemoCommand.self,
            IterateCommand.self,
            TokenizerCommand.self,
            PretrainCommand.self,
            SFTCommand.self,
            GenerateCommand.self,
            ExportCommand.self,
            PerplexityCommand.self,
            TokenizeCommand.self,
            ServeCommand.self,
            AnnotatorsCommand.self,
            TasksCommand.self,
            RatingsCommand.self,
            SimulateAnnotatorsCommand.self,
            LearnCommand.self,
            RewardCommand.self,
            PPOCommand.self,
            ILQLCommand.self,
            DPOCommand.self,
            BestOfNCommand.self,
            EvaluateCommand.self,
        ]
    )
}
