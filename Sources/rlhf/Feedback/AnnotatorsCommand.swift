// `rlhf annotators add|list`: the people (and simulated people) who judge.

import ArgumentParser
import Feedback

/// Groups the annotator subcommands.
struct AnnotatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotators", abstract: "Create and list annotators.", subcommands: [Add.self, List.self])

    /// `rlhf annotators add`: creates an annotator and prints its sign-in token once.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an annotator and print its sign-in token.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Unique name.")
        var name: String

        @Flag(help: "Make the annotator an administrator (creates annotators, loads tasks).")
        var admin = false

        func run() async throws {
            let created = try await database.openStore().createAnnotator(name: name, role: admin ? .admin : .annotator)
            print("created \(created.annotator.role.rawValue) '\(created.annotator.name)'; sign-in token (shown once, not stored):")
            print(created.token)
        }
    }

    /// `rlhf annotators list`: every annotator with what they have done.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List annotators and their activity.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let activity = try await database.openExistingStore().annotatorActivity()
            print("name\trole\tjudgments\twith ties\tall bad\tdemonstrations\tanswer ratings")
            for a in activity {
                print("\(a.name)\t\(a.role?.rawValue ?? "")\t\(a.judgments)\t\(a.withTies)\t\(a.bothBad)\t\(a.demonstrations)\t\(a.answerRatings)")
            }
        }
    }
}
