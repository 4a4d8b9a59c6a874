// The `rlhf` command line: one root command whose subcommands each do one job.

import ArgumentParser
import Foundation
import TextFiles

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

    /// ArgumentParser's entry point, except that a Foundation file error, whose own text gives a
    /// Cocoa domain and code, is shown as its path and the operating system's reason, and that
    /// input refused once the command runs says only why (with the usage error's exit status):
    /// ArgumentParser would follow it with the root command's usage, which names none of the
    /// options in question.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch let refused as ValidationError {
            FileHandle.standardError.write(Data("Error: \(refused.message)\n".utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: FileSystemError(error) ?? error)
        }
    }
}

/// Input a command cannot use, in words (no usage text follows, unlike ValidationError's).
struct InputError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A Foundation file error in words: the path, then why.
struct FileSystemError: Error, CustomStringConvertible {
    let description: String

    init?(_ error: Error) {
        let wrapped = error as NSError
        guard wrapped.domain == NSCocoaErrorDomain || wrapped.domain == NSPOSIXErrorDomain else { return nil }
        description = (FileProblem.path(of: error).map { "\($0): " } ?? "") + FileProblem.reason(error)
    }
}
