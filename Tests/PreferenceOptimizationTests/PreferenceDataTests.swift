// Preference data: every TRL preference format reads, bad lines are named by file and line,
// rankings become the pairs they imply, and tokenized pairs fit the context in one forward pass.
import Foundation
import Testing
import Finetuning
import LanguageModeling
import PreferenceOptimization
import RewardModeling

@Suite struct PreferenceDataTests {
    func write(_ lines: [String]) throws -> URL {
        let url = try temporaryFolder().appendingPathComponent("pairs.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func standardConversationalAndImplicitPromptLinesRead() throws {
        let url = try write([
            #"{"prompt": "Rate it:", "chosen": " great", "rejected": " bad", "group": "film 1"}"#,
            "",
            #"{"prompt": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi?"}], "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "Go away."}]}"#,
            #"{"chosen": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "good"}], "rejected": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "poor"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let pairs = try PreferenceFile.read(url)
        #expect(pairs == [
            PreferencePair(prompt: "Rate it:", chosen: " great", rejected: " bad", group: "film 1"),
            PreferencePair(prompt: "Hi?", chosen: "Hello!", rejected: "Go away.", context: [ChatMessage(role: "system", content: "Be kind.")]),
            PreferencePair(
                prompt: "Q2", chosen: "good", rejected: "poor",
                context: [ChatMessage(role: "user", content: "Q1"), ChatMessage(role: "assistant", content: "A1")]),
        ])
        #expect(pairs[0].splitKey == "film 1" && pairs[1].splitKey == "Hi?")
    }

    @Test func aMalformedLineIsNamedByFileAndLine() throws {
        let good = #"{"prompt": "p", "chosen": "a", "rejected": "b"}"#
        let cases: [(String, String)] = [
            (#"{"prompt": "p", "chosen": "a"}"#, "field \"rejected\" is missing"),
            ("not json", "not a JSON object"),
            (#"{"prompt": "p", "chosen": ["a"], "rejected": "b"}"#, "field \"chosen\" must be a string, as the prompt is"),
            (#"{"prompt": [{"role": "user", "content": "p"}], "chosen": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "x"}], "rejected": [{"role": "assistant", "content": "b"}]}"#,
             "field \"chosen\" must hold one message after the prompt, the answer; it has 2"),
            (#"{"prompt": [{"role": "user", "content": "p"}], "chosen": [{"role": "user", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]}"#,
             "field \"chosen\" must answer with an assistant message, not a user message"),
            (#"{"prompt": [{"role": "robot", "content": "p"}], "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]}"#,
             "prompt[0].role must be \"system\", \"user\" or \"assistant\""),
        ]
        for (line, reason) in cases {
            let url = try write([good, "", line])
            defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
            #expect(throws: DataError.malformedLine(path: url.path, line: 3, reason: reason)) { try PreferenceFile.read(url) }
        }
        let empty = try write([""])
        defer { try? FileManager.default.removeItem(at: empty.deletingLastPathComponent()) }
        #expect(throws: DataError.empty(path: empty.path)) { try PreferenceFile.read(empty) }
    }

    @Test func rankingsBecomeEveryOrderedPairAndTiesNone() {
        let comparisons = [
            Comparison(prompt: "p", responses: ["mid", "best", "worst"], tiers: [1, 0, 2], group: "g"),
            Comparison(prompt: "q", responses: ["a", "b", "c"], tiers: [0, 0, 1]),
            Comparison(prompt: "r", responses: ["x", "y"], tiers: [0, 0]),
            Comparison(prompt: "s", chosen: "yes", rejected: "no", weight: 0),
        ]
        let pairs = PreferencePair.pairs(from: comparisons).map { "\($0.prompt): \($0.chosen) > \($0.rejected)" }
        #expect(pairs == ["p: mid > worst", "p: best > mid", "p: best > worst", "q: a > c", "q: b > c"])
        #expect(PreferencePair.pairs(from: comparisons).first?.splitKey == "g")
    }

    @Test func severalRankingsOfAPromptGiveItsBestOverItsWorstByMeanTier() {
        let comparisons = [
            // Each annotator puts a different answer first; on average "b" is best and "c" worst.
            Comparison(prompt: "p", responses: ["a", "b", "c"], tiers: [0, 1, 2], annotator: "1", group: "g"),
            Comparison(prompt: "p", responses: ["c", "b", "a"], tiers: [2, 0, 1], annotator: "2", group: "g"),
            Comparison(prompt: "p", responses: ["b", "c", "a"], tiers: [0, 1, 2], annotator: "3", group: "g"),
            Comparison(prompt: "q", responses: ["x", "y"], tiers: [0, 1]),
            Comparison(prompt: "q", responses: ["x", "y"], tiers: [1, 0]),
            Comparison(prompt: "r", responses: ["u", "v"], tiers: [1, 0]),
            Comparison(prompt: "s", chosen: "yes", rejected: "no", weight: 0),
        ]
        let pairs = PreferencePair.consensusPairs(from: comparisons)
        #expect(pairs.map { "\($0.prompt): \($0.chosen) > \($0.rejected)" } == ["p: b > c", "r: v > u"])
        #expect(pairs.first?.splitKey == "g")
    }

    @Test func tokenizedPairsEndWithTheStopTokenAndFitTheContext() throws {
        let model = try tinyGPT()
        let end = model.endOfText!
        let pairs = [
            PreferencePair(prompt: "review 1:", chosen: " a great movie!", rejected: " a bad film."),
            PreferencePair(prompt: String(repeating: "what a bad film; ", count: 6), chosen: String(repeating: " a good film.", count: 6), rejected: ""),
        ]
        let data = try PreferenceData(pairs, model: model, heldOutPeriod: 0, maximumPromptLength: 12)
        #expect(data.heldOut.isEmpty && data.training.count == 2)
        let first = data.training[0]
        #expect(first.prompt == model.encode("review 1:"))
        #expect(first.chosen == model.encode(" a great movie!") + [end] && first.rejected == model.encode(" a bad film.") + [end])
        let long = data.training[1]
        #expect(long.prompt == Array(model.encode(pairs[1].prompt).suffix(12)), "the prompt keeps its end")
        #expect(long.chosen == Array((model.encode(pairs[1].chosen) + [end]).prefix(20)), "the answer keeps its start")
        #expect(long.rejected == [end])

        let batch = try data.sequenceBatch(data.training)
        #expect(batch.batch == 4 && batch.input.time <= model.network.contextLength)
        #expect(batch.responseLengths == [first.chosen.count, long.chosen.count, first.rejected.count, long.rejected.count])
        let logps = try PreferenceData.logProbabilities(batch, network: model.network, tape: nil).scalars
        let pairwise = try data.logProbabilities(of: data.training, network: model.network, batchSize: 1)
        #expect(logps.allSatisfy { $0 < 0 } && pairwise.count == 2)
        for (i, pair) in pairwise.enumerated() {
            #expect(abs(pair.chosen - Double(logps[i])) < 1e-4 && abs(pair.rejected - Double(logps[2 + i])) < 1e-4, "pair \(i)")
        }
    }

    @Test func aHeldOutPromptIsNeverTrainedOn() throws {
        let data = try PreferenceData(learnablePairs(), model: try tinyGPT(), heldOutPeriod: 4)
        #expect(!data.heldOut.isEmpty && !data.training.isEmpty)
        #expect(Set(data.heldOut.map(\.prompt)).isDisjoint(with: Set(data.training.map(\.prompt))))
    }
}
