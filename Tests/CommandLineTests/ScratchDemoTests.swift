// `rlhf demo --preset quick` end to end at a tiny size on the real data: every stage runs, and
// the evaluation and report carry best-of-N against SFT beside the PPO seed, with its guards and
// the ladder n = 1, 2, 4 chosen by the reward model and by the population judge, and the critics'
// judge's verdict on the PPO seed and on every best-of-n choice.
import Foundation
import Testing

@Suite struct ScratchDemoTests {
    @Test func theScratchDemoReportsBestOfNBesidePPO() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-scratch-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("tiny.json")
        try """
            {"vocabularySize": 300, "model": {"width": 32, "layers": 1, "heads": 2, "contextLength": 48},
             "pretrainSteps": 4, "supervisedSteps": 4, "feedbackPrompts": 8, "samplesPerPrompt": 2, "responseLength": 8, "rewardEpochs": 1,
             "ppo": {"iterations": 2, "batchSize": 4, "minibatches": 2, "epochs": 1, "responseLength": 8, "checkpointInterval": 1, "learningRate": 1e-9},
             "evaluationPrompts": 6, "leaderboardPrompts": 4, "bestOfN": 4, "bestOfNPrompts": 5,
             "criticSnippets": 40, "criticEvaluationSnippets": 40, "critic": {"epochs": 2, "heldOutPeriod": 0, "optimization": {"batchSize": 8}}}
            """.write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent("demo")
        let data = SmolLM2DemoTests.packageRoot.appendingPathComponent("data").path
        let result = try rlhf(["demo", "--preset", "quick", "--config", config.path, "--output", run.path, "--data", data])
        #expect(result.status == 0, "\(result.error)")

        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as? [String: Any])
        let best = try #require(evaluation["bestOfN"] as? [String: Any])
        #expect(best["candidates"] as? Int == 4)
        let comparison = try #require(best["comparison"] as? [String: Any])
        #expect(comparison["prompts"] as? Int == 5)
        #expect(["wins", "ties", "losses"].compactMap { comparison[$0] as? Int }.reduce(0, +) == 5)
        #expect(comparison["lengthControlled"] is [String: Any])
        let side = try #require(comparison["policy"] as? [String: Any])
        #expect(side["repetition"] is [String: Any])
        let kl = try #require(side["klToReference"] as? Double)
        #expect(abs(kl - (log(4) - 0.75)) < 1e-12, "best-of-4's KL is the analytic bound, got \(kl)")

        let bestCritic = try #require(best["criticComparison"] as? [String: Any], "the critics' judge reads best-of-N's choices too")
        #expect(["wins", "ties", "losses"].compactMap { bestCritic[$0] as? Int }.reduce(0, +) == 5)

        // n = 1, 2, 4 from one draw, chosen by the reward model and by the population judge, each read by both judges.
        let ladder = try #require(best["ladder"] as? [[String: Any]])
        #expect(ladder.compactMap { $0["candidates"] as? Int } == [1, 2, 4])
        #expect(ladder.first?["klToReference"] as? Double == 0)
        let byReward = ladder.compactMap { $0["byRewardModel"] as? [String: Any] }, byJudge = ladder.compactMap { $0["byPopulationJudge"] as? [String: Any] }
        try #require(byReward.count == 3 && byJudge.count == 3)
        let rewards = byReward.compactMap { $0["rewardScore"] as? Double }
        #expect(rewards.count == 3 && zip(rewards, rewards.dropFirst()).allSatisfy { $0 <= $1 }, "more candidates never score lower: \(rewards)")
        for (reward, judge) in zip(byReward, byJudge) {
            #expect((judge["populationScore"] as? Double ?? -.infinity) >= (reward["populationScore"] as? Double ?? .infinity))
            for chosen in [reward, judge] {
                let critic = try #require(chosen["critic"] as? [String: Int])
                #expect(["wins", "ties", "losses"].compactMap { critic[$0] }.reduce(0, +) == 5, "each of the 5 best-of-n prompts is counted once")
            }
        }
        // n = 4's choice by the reward model is the best-of-4 row itself.
        #expect((byReward.last?["population"] as? [String: Int])?["wins"] == comparison["wins"] as? Int)
        #expect((byReward.last?["critic"] as? [String: Int])?["wins"] == bestCritic["wins"] as? Int)

        // The second hidden judge reads the same samples as the population judge.
        #expect(evaluation["criticAUC"] is Double, "the critics' judge is measured on held-out movies")
        let seed = try #require((evaluation["seeds"] as? [[String: Any]])?.first)
        let critic = try #require(seed["criticComparison"] as? [String: Any])
        #expect(["wins", "ties", "losses"].compactMap { critic[$0] as? Int }.reduce(0, +) == 6)
        let population = try #require(seed["comparison"] as? [String: Any])
        #expect((critic["policy"] as? [String: Any])?["klToReference"] as? Double == (population["policy"] as? [String: Any])?["klToReference"] as? Double)
        #expect((seed["criticWinRateInterval"] as? [Double])?.count == 2)
        let films = try #require(population["groupedInterval"] as? [String: Any], "the interval resamples the prompts' films")
        #expect([films["lowerBound"], films["upperBound"]].compactMap { $0 as? Double } == seed["winRateInterval"] as? [Double])
        #expect(result.output.contains("critics' judge"), "\(result.output)")

        // At a learning rate of 1e-9 the policy is SFT to the last sampled token, so only
        // independent draws give the two sides different answers; one draw for both would couple them.
        let examples = try #require(evaluation["examples"] as? [[String: Any]])
        try #require(examples.count == 6)
        let differing = examples.filter { ($0["optimized"] as? String) != ($0["supervised"] as? String) }
        #expect(differing.count >= 3, "the policy and SFT sample from their own generators: \(examples)")
        #expect(result.output.contains("best-of-4 (5 prompts) beats SFT on") && result.output.contains("chosen by the population judge"), "\(result.output)")
        #expect(result.output.contains(String(format: "; KL ≤ %.2f (analytic bound);", log(4) - 0.75)), "\(result.output)")

        let report = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        for expected in [
            "<td>best-of-4</td>", "(analytic bound)", "KL upper bound (analytic)", "best-of-n: reward model", "best-of-n: population judge", "critics' judge win rate",
            "What the annotators' taste is worth to the critics", "population judge's choice", "the 95% intervals resample whole films",
        ] {
            #expect(report.contains(expected), "report.html lacks \(expected)")
        }
    }
}
