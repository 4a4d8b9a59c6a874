// Offline data: the JSONL reader names the file, line and field at fault; comparisons become
// rank rewards; a batch lays out actions, rewards and dones as trlX's make_experience does.
import Foundation
import OfflineRL
import RewardModeling
import Testing

@Suite struct ILQLDataTests {
    func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ilql-\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func samplesAreReadAndBadLinesAreNamed() throws {
        let good = #"{"prompt": "Review:", "response": " great", "reward": 1}"#
        let url = try file(good + "\n\n" + #"{"prompt": "Review:", "response": " bad", "reward": -0.5}"# + "\n")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try RewardedSample.read(url) == [
            RewardedSample(prompt: "Review:", response: " great", reward: 1), RewardedSample(prompt: "Review:", response: " bad", reward: -0.5),
        ])
        let cases = [
            (#"{"prompt": "a", "response": "b"}"#, "field 'reward' is missing"),
            (#"{"prompt": "a", "response": "b", "reward": "high"}"#, "field 'reward' must be a number"),
            (#"{"prompt": 3, "response": "b", "reward": 1}"#, "field 'prompt' must be a string"),
            (#"{"prompt": "a", "response": "b", "reward": 1"#, "not a JSON object"),
        ]
        for (line, reason) in cases {
            let bad = try file(good + "\n" + good + "\n" + line + "\n")
            defer { try? FileManager.default.removeItem(at: bad) }
            #expect(throws: ILQLDataError.malformedLine(path: bad.path, line: 3, reason: reason)) { try RewardedSample.read(bad) }
        }
        let empty = try file("\n \n")
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ILQLDataError.empty(source: empty.path)) { try RewardedSample.read(empty) }
        #expect(ILQLDataError.malformedLine(path: "x.jsonl", line: 3, reason: "field 'reward' is missing").description == "x.jsonl:3: field 'reward' is missing")
    }

    @Test func comparisonsBecomeNetWinShares() {
        let samples = RewardedSample.fromComparisons([
            Comparison(prompt: "p", chosen: "good", rejected: "bad"),
            Comparison(prompt: "q", responses: ["a", "b", "c", "d"], tiers: [1, 0, 1, 2]),
            Comparison(prompt: "r", chosen: "x", rejected: "y", weight: 0),
        ])
        #expect(samples.map(\.response) == ["good", "bad", "a", "b", "c", "d"])
        #expect(samples.map(\.reward) == [1, -1, 0, 1, 0, -1])
        #expect(samples.map(\.prompt) == ["p", "p", "q", "q", "q", "q"])
    }

    @Test func batchesCarryTheRewardOnTheLastActionAndTerminalDones() throws {
        var data = try ILQLData(
            training: [ILQLExample(prompt: [5, 6], response: [7, 8, 9], reward: 3), ILQLExample(prompt: [4], response: [2], reward: 1)],
            padding: 0, seed: 1)
        let batch = try data.nextBatch(size: 2)
        let rows = batch.sequences.responseLengths
        let R = batch.targets.actionSlots
        #expect(R == 3 && batch.sequences.promptLength == 2)
        for (b, n) in rows.enumerated() {
            let reward = n == 3 ? 1 / 2.0.squareRoot() : -1 / 2.0.squareRoot()  // ±1 standardised: (r − 2) / std, std = √2
            let expectedRewards = (0..<R).map { $0 == n - 1 ? Float(reward) : 0 }
            #expect(zip(Array(batch.targets.rewards[(b * R)..<((b + 1) * R)]), expectedRewards).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(Array(batch.targets.dones[(b * (R + 1))..<((b + 1) * (R + 1))]) == (0...R).map { $0 < n ? 1 : 0 })
        }
        #expect(batch.targets.actions == batch.sequences.responseTargets)
    }
}
