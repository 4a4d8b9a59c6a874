// ILQL's offline data at its source: responses with scalar rewards, read from JSONL lines
// {"prompt", "response", "reward"} or derived from stored comparisons.
import Foundation
import RewardModeling

/// One stored judgment of one response.
public struct RewardedSample: Codable, Sendable, Equatable {
    public var prompt: String
    public var response: String
    public var reward: Double

    public init(prompt: String, response: String, reward: Double) {
        self.prompt = prompt
        self.response = response
        self.reward = reward
    }
}

public enum ILQLDataError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedLine(path: String, line: Int, reason: String)
    case empty(source: String)
    case emptyResponse(sample: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot be read (\(reason))"
        case let .malformedLine(path, line, reason): return "\(path):\(line): \(reason)"
        case let .empty(source): return "\(source): no samples to learn from"
        case let .emptyResponse(sample): return "sample \(sample) has an empty response and the model has no end token to act with"
        }
    }
}

extension RewardedSample {
    /// Every sample of a JSONL file (blank lines skipped); the first bad line throws, naming the
    /// file, the line and the field.
    public static func read(_ url: URL) throws -> [RewardedSample] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ILQLDataError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        var samples: [RewardedSample] = []
        let decoder = JSONDecoder()
        // Only LF and CRLF end a line: JSON strings may hold other Unicode line separators raw.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            let fail = { (reason: String) in ILQLDataError.malformedLine(path: url.path, line: index + 1, reason: reason) }
            let sample: RewardedSample
            do { sample = try decoder.decode(RewardedSample.self, from: Data(line.utf8)) } catch let error as DecodingError {
                throw fail(Self.describe(error))
            }
            guard sample.reward.isFinite else { throw fail("field 'reward' must be finite") }
            samples.append(sample)
        }
        guard !samples.isEmpty else { throw ILQLDataError.empty(source: url.path) }
        return samples
    }

    private static func describe(_ error: DecodingError) -> String {
        let field = { (path: [any CodingKey]) in path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case let .keyNotFound(key, _): return "field '\(key.stringValue)' is missing"
        case let .typeMismatch(type, context): return "field '\(field(context.codingPath))' must be a \(type == Double.self ? "number" : "string")"
        case let .valueNotFound(_, context): return "field '\(field(context.codingPath))' is null"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not a JSON object" : "field '\(field(context.codingPath))' is invalid"
        @unknown default: return "\(error)"
        }
    }

    /// One sample per response of each comparison, rewarded by its standing in that comparison:
    /// (responses ranked below it − responses ranked above it) / (K − 1), in [−1, 1]: +1 and −1
    /// for a pair, equal for tied responses, 0 on average over a comparison. It is the response's
    /// net share of wins in the pairwise contests the ranking implies. A Bradley–Terry score
    /// would need responses shared between comparisons: fitted to one strict ranking its
    /// maximum-likelihood scores diverge. trlX standardises the rewards afterwards, so only
    /// their order and spacing matter. Comparisons of weight 0 are left out.
    public static func fromComparisons(_ comparisons: [Comparison]) -> [RewardedSample] {
        comparisons.filter { $0.weight > 0 && $0.responses.count >= 2 && $0.tiers.count == $0.responses.count }.flatMap { comparison in
            let tiers = comparison.tiers, spread = Double(tiers.count - 1)
            return comparison.responses.indices.map { i in
                let below = tiers.filter { $0 > tiers[i] }.count, above = tiers.filter { $0 < tiers[i] }.count
                return RewardedSample(prompt: comparison.prompt, response: comparison.responses[i], reward: Double(below - above) / spread)
            }
        }
    }
}
