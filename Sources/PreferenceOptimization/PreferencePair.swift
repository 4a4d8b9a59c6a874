// Preference pairs, as DPO trains on them: a prompt (with the conversation before it) and two
// answers, the first preferred. Read from TRL's preference JSONL, standard or conversational, or
// derived from the rankings of the feedback store.
import Finetuning
import Foundation
import LanguageModeling
import RewardModeling

public struct PreferencePair: Sendable, Equatable {
    /// The last user turn (for a model without a chat template, the whole prompt text).
    public var prompt: String
    /// Turns before the prompt (a system message, earlier exchanges); empty for a plain prompt.
    public var context: [ChatMessage]
    public var chosen: String
    public var rejected: String
    /// What the held-out split keeps together: the prompt unless set.
    public var group: String?
    /// Where it was read, for errors found when it is tokenized; not part of its value.
    public var location: DataLocation?

    public init(prompt: String, chosen: String, rejected: String, context: [ChatMessage] = [], group: String? = nil, location: DataLocation? = nil) {
        self.prompt = prompt
        self.context = context
        self.chosen = chosen
        self.rejected = rejected
        self.group = group
        self.location = location
    }

    public static func == (lhs: PreferencePair, rhs: PreferencePair) -> Bool {
        (lhs.prompt, lhs.context, lhs.chosen, lhs.rejected, lhs.group) == (rhs.prompt, rhs.context, rhs.chosen, rhs.rejected, rhs.group)
    }

    /// The conversation up to the answers.
    public var messages: [ChatMessage] { context + [ChatMessage(role: "user", content: prompt)] }

    /// The key the held-out split hashes.
    public var splitKey: String { group ?? prompt }

    /// Every (better, worse) pair that the rankings imply: for K responses in tiers, each pair
    /// from different tiers, so a K-way ranking gives up to K(K−1)/2 pairs (the pairs the reward
    /// model's likelihood reads from the same ranking); tied responses give none. Comparisons of
    /// weight 0 are dropped; other weights are not used, as TRL's loss weighs every pair alike.
    public static func pairs(from comparisons: [Comparison]) -> [PreferencePair] {
        comparisons.filter { $0.weight > 0 }.flatMap { comparison in
            comparison.orderedPairs.map { better, worse in
                PreferencePair(
                    prompt: comparison.prompt, chosen: comparison.responses[better], rejected: comparison.responses[worse],
                    group: comparison.group)
            }
        }
    }

    /// One pair per prompt (in order of first appearance): the answer its rankings put best on
    /// average (mean tier) over the one they put worst, the panel's clearest preference. A prompt
    /// whose answers tie on average gives none; comparisons of weight 0 are dropped.
    public static func consensusPairs(from comparisons: [Comparison]) -> [PreferencePair] {
        var keys: [String] = [], rankings: [String: [Comparison]] = [:]
        for comparison in comparisons where comparison.weight > 0 {
            if rankings[comparison.splitKey] == nil { keys.append(comparison.splitKey) }
            rankings[comparison.splitKey, default: []].append(comparison)
        }
        return keys.compactMap { key in
            let group = rankings[key]!
            var answers: [String] = [], tierSum: [String: Double] = [:], judged: [String: Double] = [:]
            for ranking in group {
                for (answer, tier) in zip(ranking.responses, ranking.tiers) {
                    if judged[answer] == nil { answers.append(answer) }
                    tierSum[answer, default: 0] += Double(tier)
                    judged[answer, default: 0] += 1
                }
            }
            let meanTier = answers.map { tierSum[$0]! / judged[$0]! }
            guard let best = meanTier.indices.min(by: { meanTier[$0] < meanTier[$1] }),
                  let worst = meanTier.indices.max(by: { meanTier[$0] < meanTier[$1] }),
                  meanTier[best] < meanTier[worst] else { return nil }
            return PreferencePair(prompt: group[0].prompt, chosen: answers[best], rejected: answers[worst], group: group[0].group)
        }
    }
}

public enum PreferenceFile {
    /// Reads one JSON object per line in TRL's preference formats: standard `{"prompt": text,
    /// "chosen": text, "rejected": text}`; conversational `{"prompt": [messages], "chosen":
    /// [one assistant message], "rejected": [one assistant message]}`; and conversational with
    /// an implicit prompt, `{"chosen": [messages], "rejected": [messages]}`, whose shared first
    /// messages are the prompt and whose last differs. TRL's standard form with an implicit
    /// prompt, `{"chosen": text, "rejected": text}`, is not read: no rule says where its prompt
    /// ends. An optional `"group"` names the held-out split's key. Blank lines are skipped; any
    /// bad line fails the read, naming the file, the line and the field.
    public static func read(_ url: URL) throws -> [PreferencePair] {
        try JSONObjectLines.read(url) { (object, location) throws(JSONLineError) in
            var pair = try pair(object)
            pair.location = location
            return pair
        }
    }

    private static func pair(_ object: [String: Any]) throws(JSONLineError) -> PreferencePair {
        let group = object["group"] as? String
        if object["group"] != nil, group == nil { throw JSONLineError("field \"group\" must be a string") }
        guard let chosen = object["chosen"] else { throw JSONLineError("field \"chosen\" is missing") }
        guard let rejected = object["rejected"] else { throw JSONLineError("field \"rejected\" is missing") }
        if let prompt = object["prompt"] as? String {
            guard let chosen = chosen as? String else { throw JSONLineError("field \"chosen\" must be a string, as the prompt is") }
            guard let rejected = rejected as? String else { throw JSONLineError("field \"rejected\" must be a string, as the prompt is") }
            return PreferencePair(prompt: prompt, chosen: chosen, rejected: rejected, group: group)
        }
        for (field, answer) in [("chosen", chosen), ("rejected", rejected)] where answer is String {
            throw JSONLineError(object["prompt"] == nil
                ? "field \"\(field)\" is text, which needs a \"prompt\" field: the implicit-prompt form is read only with lists of messages in \"chosen\" and \"rejected\""
                : "field \"\(field)\" must be a list of messages, as the prompt is")
        }
        var chosenTurns = try JSONObjectLines.messages(chosen, field: "chosen")
        var rejectedTurns = try JSONObjectLines.messages(rejected, field: "rejected")
        var turns: [ChatMessage]
        if let prompt = object["prompt"] {
            turns = try JSONObjectLines.messages(prompt, field: "prompt")
        } else {
            let shared = zip(chosenTurns, rejectedTurns).prefix { $0 == $1 }.count
            turns = Array(chosenTurns.prefix(shared))
            chosenTurns.removeFirst(shared)
            rejectedTurns.removeFirst(shared)
        }
        let (prompt, context) = try JSONObjectLines.lastUserTurn(of: turns, field: object["prompt"] == nil ? "chosen" : "prompt")
        return PreferencePair(
            prompt: prompt, chosen: try answer(chosenTurns, field: "chosen"), rejected: try answer(rejectedTurns, field: "rejected"),
            context: context, group: group)
    }

    /// The one assistant message after the prompt.
    private static func answer(_ turns: [ChatMessage], field: String) throws(JSONLineError) -> String {
        guard turns.count == 1 else {
            throw JSONLineError("field \"\(field)\" must hold one message after the prompt, the answer; it has \(turns.count)")
        }
        guard turns[0].role == "assistant" else {
            throw JSONLineError("field \"\(field)\" must answer with an assistant message, not a \(turns[0].role) message")
        }
        return turns[0].content
    }
}
