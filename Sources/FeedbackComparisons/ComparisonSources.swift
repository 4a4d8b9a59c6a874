// Where comparisons come from: the feedback store's K-way judgments, and JSONL files in TRL's
// prompt/chosen/rejected format or the store's ranking export. A module of its own because it
// needs both sides: the store (and its SQLite and crypto) never reaches the reward model, which
// sees only `Comparison` values.
import Feedback
import Foundation
import RewardModeling

extension Comparison {
    /// A stored judgment: its completions in tiers, judged by its annotator. A "both bad"
    /// judgment puts every completion in one tier, so it reads as a tie.
    package init(_ ranked: RankedComparison) {
        self.init(
            prompt: ranked.prompt, responses: ranked.completions.map(\.text), tiers: ranked.completions.map(\.tier),
            annotator: ranked.annotator)
    }
}

/// One line of a comparisons file: TRL's `{"prompt", "chosen", "rejected"}` or the store's
/// ranking export `{"prompt", "completions": [{"text", "tier", ...}], "annotator"}`; either may
/// add `"group"` (the held-out split's key) and `"weight"`.
struct ComparisonLine: Decodable, Sendable {
    struct RankedText: Decodable, Sendable {
        var text: String
        var tier: Int
    }

    var comparison: Comparison

    enum Keys: String, CodingKey {
        case prompt, chosen, rejected, completions, annotator, group, weight
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let prompt = try container.decode(String.self, forKey: .prompt)
        let annotator = try container.decodeIfPresent(String.self, forKey: .annotator)
        let group = try container.decodeIfPresent(String.self, forKey: .group)
        let weight = try container.decodeIfPresent(Float.self, forKey: .weight) ?? 1
        if container.contains(.completions) {
            let completions = try container.decode([RankedText].self, forKey: .completions)
            comparison = Comparison(
                prompt: prompt, responses: completions.map(\.text), tiers: completions.map(\.tier),
                annotator: annotator, weight: weight, group: group)
        } else {
            comparison = Comparison(
                prompt: prompt, chosen: try container.decode(String.self, forKey: .chosen),
                rejected: try container.decode(String.self, forKey: .rejected), annotator: annotator, weight: weight, group: group)
        }
    }
}

public enum ComparisonSource {
    /// Every comparison in a JSONL file; a malformed line or comparison is named by its line.
    public static func read(_ url: URL) throws -> [Comparison] {
        let lines: [NumberedLine<ComparisonLine>]
        do {
            lines = try JSONLines.read(ComparisonLine.self, from: url)
        } catch let error as FileFormatError {
            throw RewardDataError.malformedLine(path: error.file, line: error.line, field: error.field, reason: error.reason)
        }
        for line in lines {
            do {
                try line.value.comparison.validate(index: line.line - 1)
            } catch RewardDataError.invalidComparison(_, let field, let reason) {
                throw RewardDataError.malformedLine(path: url.path, line: line.line, field: field, reason: reason)
            }
        }
        guard !lines.isEmpty else { throw RewardDataError.empty(source: url.path) }
        return lines.map(\.value.comparison)
    }

    /// Every judgment in a feedback store (a SQLite file or a postgres:// URL), oldest judgment first.
    public static func store(at location: String) async throws -> [Comparison] {
        let ranked = try await FeedbackStore(openingExisting: location).rankedComparisons().sorted { $0.judgmentID < $1.judgmentID }
        guard !ranked.isEmpty else { throw RewardDataError.empty(source: location) }
        return ranked.map(Comparison.init)
    }

    /// Writes comparisons as JSONL (the ranking form, which holds pairs too), atomically.
    public static func write(_ comparisons: [Comparison], to url: URL) throws {
        try JSONLines.write(comparisons.map(RankingRecord.init), to: url)
    }

    /// The written form of a comparison, which `read` accepts back.
    struct RankingRecord: Encodable {
        struct RankedText: Encodable {
            var text: String
            var tier: Int
        }

        var prompt: String
        var completions: [RankedText]
        var annotator: String?
        var group: String?
        var weight: Float

        init(_ comparison: Comparison) {
            prompt = comparison.prompt
            completions = zip(comparison.responses, comparison.tiers).map { RankedText(text: $0, tier: $1) }
            annotator = comparison.annotator
            group = comparison.group
            weight = comparison.weight
        }
    }
}
