// `rlhf demo --preset smollm2` end to end at a tiny size on the real SmolLM2 file and data: every
// stage runs, the report and evaluation.json carry each method's comparison by both hidden
// judges, and a second run over the finished folder trains nothing again and measures the same.
import Foundation
import Testing

@Suite struct SmolLM2DemoTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theSmolLM2DemoRunsEveryStageAndReportsBothJudges() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-smol-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("tiny.json")
        try """
            {"feedbackPrompts": 8, "samplesPerPrompt": 3, "responseLength": 8, "generationBatchSize": 16,
             "reward": {"epochs": 2, "heldOutPeriod": 4, "optimization": {"batchSize": 4}},
             "criticSnippets": 40, "criticEvaluationSnippets": 40, "critic": {"epochs": 2, "heldOutPeriod": 0, "optimization": {"batchSize": 8}},
             "ppo": {"iterations": 2, "batchSize": 4, "minibatches": 2, "epochs": 1, "responseLength": 8, "checkpointInterval": 1, "learningRate": 1e-9},
             "dpo": {"heldOutPeriod": 0, "optimization": {"steps": 2, "batchSize": 2, "warmupSteps": 1, "checkpointInterval": 1}},
             "bestOfN": 2, "bestOfNPrompts": 3, "evaluationPrompts": 5}
            """.write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent("demo")
        let arguments = ["demo", "--preset", "smollm2", "--config", config.path, "--output", run.path, "--data", Self.packageRoot.appendingPathComponent("data").path]
        let first = try rlhf(arguments)
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("RLHF demo on SmolLM2 finished"), "\(first.output)")

        let evaluationURL = run.appendingPathComponent("evaluation.json")
        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: evaluationURL)) as? [String: Any])
        let methods = try #require(evaluation["methods"] as? [[String: Any]])
        #expect(methods.compactMap { $0["name"] as? String } == ["PPO-LoRA seed 0", "DPO-LoRA", "best-of-2"])
        for method in methods {
            for judge in ["populationJudge", "criticJudge"] {
                let comparison = try #require(method[judge] as? [String: Any], "\(judge) of \(method["name"] ?? "?")")
                let counts = ["wins", "ties", "losses"].compactMap { comparison[$0] as? Int }
                #expect(counts.count == 3 && counts.reduce(0, +) == comparison["prompts"] as? Int)
                #expect(comparison["lengthControlled"] is [String: Any])
                let policy = try #require(comparison["policy"] as? [String: Any])
                #expect(policy["repetition"] is [String: Any] && policy["fluency"] is [String: Any])
            }
            let interval = try #require(method["populationWinRateInterval"] as? [Double])
            try #require(interval.count == 2 && (method["criticWinRateInterval"] as? [Double])?.count == 2)
            let population = try #require(method["populationJudge"] as? [String: Any])
            let films = try #require(population["groupedInterval"] as? [String: Any], "the interval resamples the requests' films")
            #expect([films["lowerBound"], films["upperBound"]].compactMap { $0 as? Double } == interval)
            #expect((films["groupCount"] as? Int ?? 0) >= 1 && (films["groupCount"] as? Int ?? .max) <= population["prompts"] as? Int ?? 0)
            let (wins, ties, prompts) = (population["wins"] as? Int ?? 0, population["ties"] as? Int ?? 0, population["prompts"] as? Int ?? 0)
            let rate = (Double(wins) + 0.5 * Double(ties)) / Double(max(prompts, 1))
            let printed = "\(method["name"] as? String ?? "?") (\(prompts) prompts): "
                + String(format: "%.1f%% [%.1f%%, %.1f%%] / ", 100 * rate, 100 * interval[0], 100 * interval[1])
            #expect(first.output.contains(printed), "the summary prints \(printed)")
        }
        #expect(methods.first { ($0["name"] as? String) == "best-of-2" }?["analyticKL"] as? Bool == true)
        #expect(evaluation["criticAUC"] is Double, "the critics' judge is measured on held-out movies")

        // Best-of-n for n = 1, 2 from one draw, chosen by the reward model and by the population judge.
        let ladder = try #require(evaluation["bestOfNLadder"] as? [[String: Any]])
        #expect(ladder.compactMap { $0["candidates"] as? Int } == [1, 2])
        for point in ladder {
            let byReward = try #require(point["byRewardModel"] as? [String: Any]), byJudge = try #require(point["byPopulationJudge"] as? [String: Any])
            for chosen in [byReward, byJudge] {
                for judge in ["population", "critic"] {
                    let count = try #require(chosen[judge] as? [String: Int])
                    #expect(["wins", "ties", "losses"].compactMap { count[$0] }.reduce(0, +) == 3, "each of the 3 best-of-n prompts is counted once")
                }
            }
            let rewardPick = try #require(byReward["populationScore"] as? Double), judgePick = try #require(byJudge["populationScore"] as? Double)
            #expect(judgePick >= rewardPick, "the population judge's own choice scores at least as high by it")
            if point["candidates"] as? Int == 1 {
                #expect(NSDictionary(dictionary: byReward) == NSDictionary(dictionary: byJudge), "among one candidate both choose the same")
            }
        }
        #expect(first.output.contains("chosen by the population judge"), "\(first.output)")
        // At a learning rate of 1e-9 PPO's adapters leave the model as it was to the last sampled
        // token, so only independent draws give PPO and SmolLM2 different answers.
        let examples = try #require(evaluation["examples"] as? [[String: Any]])
        let pairs = examples.compactMap { example -> (String?, String?)? in
            guard let answers = example["answers"] as? [[String: Any]] else { return nil }
            let text = { (name: String) in answers.first { $0["method"] as? String == name }?["text"] as? String }
            return (text("PPO-LoRA seed 0"), text("SmolLM2"))
        }
        try #require(pairs.count == 3 && pairs.allSatisfy { $0.0 != nil && $0.1 != nil })
        #expect(pairs.contains { $0.0 != $0.1 }, "PPO and SmolLM2 sample from their own generators: \(pairs)")

        let report = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        for expected in ["critics' judge", "DPO-LoRA", "best-of-2", "PPO-LoRA seed 0", "<h2>Stages</h2>", "length-controlled", "What the annotators' taste is worth", "the 95% intervals resample whole films"] {
            #expect(report.contains(expected), "report.html lacks \(expected)")
        }
        #expect(!report.contains("<|im_end|>") && !report.contains("<|im_start|>"), "answers are shown without chat markup")

        // The finished folder resumes: nothing trains again, and the evaluation is the same to the bit.
        let ppoMetrics = try Data(contentsOf: run.appendingPathComponent("ppo-seed0/metrics.jsonl"))
        let firstEvaluation = try Data(contentsOf: evaluationURL)
        let second = try rlhf(arguments)
        #expect(second.status == 0, "\(second.error)")
        #expect(try Data(contentsOf: run.appendingPathComponent("ppo-seed0/metrics.jsonl")) == ppoMetrics)
        #expect(try Data(contentsOf: evaluationURL) == firstEvaluation)
    }
}
