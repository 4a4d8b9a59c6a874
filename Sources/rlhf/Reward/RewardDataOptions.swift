// Options and helpers shared by the reward subcommands: where comparisons come from, the
// held-out set, and a judge's relabelling of held-out comparisons.
import Annotators
import ArgumentParser
import Feedback
import FeedbackComparisons
import Foundation
import RewardModeling

/// The comparisons a command reads: JSONL files or a feedback store.
struct ComparisonOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Comparisons as JSONL: TRL {prompt, chosen, rejected} or ranking lines {prompt, completions: [{text, tier}]} (repeatable).")
    var files: [String] = []

    @OptionGroup var store: JudgmentStoreOption

    var isEmpty: Bool { files.isEmpty && store.location == nil }

    func load() async throws -> [Comparison] {
        var comparisons: [Comparison] = []
        for file in files { comparisons += try ComparisonSource.read(URL(fileURLWithPath: file)) }
        return comparisons + (try await store.comparisons())
    }
}

/// Relabelling comparisons by a hidden judge (e.g. the population of raters): each
/// comparison's responses are ranked by the judge's score, equal scores tied.
enum JudgeLabels {
    static func relabel(_ comparisons: [Comparison], judge: HiddenJudge) -> [Comparison] {
        comparisons.map { $0.ranked(by: judge.score, annotator: "judge") }
    }

    /// Comparisons from a task file (prompt + completions), all tied until relabelled.
    static func comparisons(fromTasks path: String) throws -> [Comparison] {
        try JSONLines.read(TaskLine.self, from: URL(fileURLWithPath: path)).map { line in
            Comparison(prompt: line.value.prompt, responses: line.value.completions.map(\.text), tiers: line.value.completions.map { _ in 0 })
        }
    }

    /// The population judge of a VADER lexicon file.
    static func population(lexicon path: String) throws -> HiddenJudge {
        HiddenJudge.population(try RaterLexicon(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// A JSON summary written beside a command's other outputs.
enum SummaryFile {
    static func write(_ object: [String: Any], to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    static func object<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }
}
