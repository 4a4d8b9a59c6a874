// `rlhf tasks import|export`: comparison tasks and judgments in and out as JSON Lines.

import ArgumentParser
import Feedback
import Foundation

/// Groups the task file subcommands.
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "Import tasks or preferences; export judgments; set how the queue picks tasks.", subcommands: [Import.self, Export.self, Select.self, Prioritize.self])

    /// What an import file holds.
    enum ImportFormat: String, ExpressibleByArgument, CaseIterable {
        /// {"prompt", "completions": [{"text", "model", ...}]}: tasks to label.
        case tasks
        /// TRL's {"prompt", "chosen", "rejected"}: judged pairs.
        case preferences
    }

    /// What an export file holds.
    enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
        /// TRL's {"prompt", "chosen", "rejected"}, one line per implied pair.
        case preferences
        /// One line per judgment with every completion's tier.
        case rankings
        /// TRL's {"prompt", "completion"} from people's written and corrected answers.
        case demonstrations
    }

    /// `rlhf tasks import`: a whole file in one transaction, or nothing; what the store holds
    /// already is counted, not stored again, so running it twice is harmless.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a JSON Lines file; a bad line imports nothing, and lines the store holds already are skipped.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The JSON Lines file.")
        var file: String

        @Option(help: "tasks (to be labeled) or preferences (TRL prompt/chosen/rejected, already judged).")
        var format: ImportFormat = .tasks

        @Option(help: "For preferences: the annotator of lines without an \"annotator\" key; a line's own annotator wins (created if missing).")
        var annotator = "imported"

        @Option(help: "For preferences: the model name recorded for chosen answers.")
        var chosenModel = "imported-chosen"

        @Option(help: "For preferences: the model name recorded for rejected answers.")
        var rejectedModel = "imported-rejected"

        func run() async throws {
            let url = URL(fileURLWithPath: file)
            let report: ImportReport
            // The file is read whole before the store is opened: a bad file touches no store.
            switch format {
            case .tasks:
                let tasks = try JSONLines.readAtLeastOne(TaskLine.self, from: url)
                report = try await database.openStore().importTasks(tasks, source: file)
            case .preferences:
                let preferences = try JSONLines.readAtLeastOne(PreferenceLine.self, from: url)
                report = try await database.openStore().importPreferences(
                    preferences, annotatorName: annotator, chosenModel: chosenModel, rejectedModel: rejectedModel, source: file)
            }
            let present = report.alreadyPresent == 0 ? "" : "; \(report.alreadyPresent) already present"
            print("imported \(report.imported) \(format == .tasks ? "tasks" : "judged pairs") from \(file)\(present)")
        }
    }

    /// `rlhf tasks export`: written to a temporary file, then renamed into place.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export judgments or demonstrations as JSON Lines.")

        @OptionGroup var database: DatabaseOptions

        @Option(name: [.customLong("output"), .customLong("out")], help: "The file to write.")
        var output: String

        @Option(help: "preferences (TRL pairs, a K-way ranking as its implied pairs), rankings, or demonstrations; each line names its annotator.")
        var format: ExportFormat = .preferences

        func run() async throws {
            let store = try await database.openExistingStore()
            let url = URL(fileURLWithPath: output)
            let count: Int
            switch format {
            case .preferences:
                let lines = try await store.preferenceLines()
                try JSONLines.write(lines, to: url)
                count = lines.count
            case .rankings:
                let lines = try await store.rankedComparisons().map(RankingLine.init)
                try JSONLines.write(lines, to: url)
                count = lines.count
            case .demonstrations:
                let lines = try await store.demonstrationExamples()
                try JSONLines.write(lines, to: url)
                count = lines.count
            }
            print("wrote \(count) \(format.rawValue) lines to \(output)")
        }
    }
}
