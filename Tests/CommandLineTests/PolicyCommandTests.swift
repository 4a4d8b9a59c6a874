// The policy commands on the real model with a frozen-backbone reward model, as a user runs
// them: best-of-N keeps the reward model's favourite, and PPO trains LoRA adapters on SmolLM2
// from chat prompts, scored through the decoded text, and saves them for --adapter; from plain
// prompts it reads the reward in the reference pass.
import Foundation
import Testing

/// Runs `best-of-n` and `ppo --lora-rank` on `gguf` against `rewardModel` (a head on its frozen backbone).
func expectPolicyCommandsRun(gguf: URL, rewardModel: URL, folder: URL) throws {
    let prompts = folder.appendingPathComponent("prompts.txt")
    try "Describe a film you loved in one sentence.\nWhat did you think of the movie?\nReview a comedy in a few words.\nTell me about a thriller.\n"
        .write(to: prompts, atomically: true, encoding: .utf8)

    let chosen = folder.appendingPathComponent("best.jsonl")
    let best = try rlhf(["best-of-n", "--model", gguf.path, "--reward-model", rewardModel.path, "--prompts", prompts.path, "--chat",
                         "-n", "3", "--max-new-tokens", "10", "--output", chosen.path])
    #expect(best.status == 0, "\(best.error)")
    let lines = try String(contentsOf: chosen, encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(lines.count == 4)
    for line in lines {
        let candidates = try #require(line["candidate_scores"] as? [Double])
        #expect(candidates.count == 3 && line["score"] as? Double == candidates.max())
        #expect((line["prompt"] as? String)?.contains("<|im_start|>") == false, "the reward model reads the plain prompt")
    }

    let config = folder.appendingPathComponent("ppo-config.json")
    try #"{"iterations": 2, "batchSize": 4, "minibatches": 2, "epochs": 1, "responseLength": 8, "valueModel": "policyHead", "learningRate": 0.0005, "checkpointInterval": 1}"#
        .write(to: config, atomically: true, encoding: .utf8)
    let run = folder.appendingPathComponent("ppo")
    let ppo = try rlhf(["ppo", "--model", gguf.path, "--lora-rank", "4", "--reward-model", rewardModel.path, "--prompts", prompts.path,
                        "--chat", "--config", config.path, "--output", run.path])
    #expect(ppo.status == 0, "\(ppo.error)")
    let adapters = run.appendingPathComponent("model/adapter_model.safetensors")
    #expect(FileManager.default.fileExists(atPath: adapters.path), "the policy is saved as PEFT adapters: \(ppo.output)")
    #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("model/model.safetensors").path), "the base is not copied")
    let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(metrics.map { $0["iteration"] as? Int } == [1, 2])
    #expect(metrics.allSatisfy { ($0["objective/kl"] as? Double)?.isFinite == true && $0["objective/scores"] is Double })

    #expect(!ppo.output.contains("one pass with the adapters off"), "chat prompts: the reward model reads the plain request apart")

    // Plain prompts: the frozen reward model on the same file reads the policy's own tokens, in
    // the reference pass.
    let plainRun = folder.appendingPathComponent("ppo-plain")
    let plain = try rlhf(["ppo", "--model", gguf.path, "--lora-rank", "4", "--reward-model", rewardModel.path, "--prompts", prompts.path,
                          "--config", config.path, "--output", plainRun.path])
    #expect(plain.status == 0, "\(plain.error)")
    #expect(plain.output.contains("one pass with the adapters off"), "\(plain.output)")
    let plainMetrics = try String(contentsOf: plainRun.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(plainMetrics.count == 2 && plainMetrics.allSatisfy { ($0["objective/scores"] as? Double)?.isFinite == true })

    let answer = try rlhf(["generate", "--model", gguf.path, "--adapter", run.appendingPathComponent("model").path, "--chat",
                           "--temperature", "0", "--max-new-tokens", "8", "--prompt", "What did you think of the movie?"])
    #expect(answer.status == 0 && !answer.output.isEmpty, "\(answer.error)")

    // The trained adapters evaluated against their base, on chat prompts, by the reward model.
    let evaluation = try rlhf(["evaluate", "--model", gguf.path, "--adapter", run.appendingPathComponent("model").path, "--baseline", gguf.path,
                               "--prompts", prompts.path, "--chat", "--judge", "reward:\(rewardModel.path)", "--max-new-tokens", "8", "--json"])
    #expect(evaluation.status == 0, "\(evaluation.error)")
    #expect(evaluation.error.contains("evaluate"), "a progress bar: \(evaluation.error)")
    let comparison = try #require(try JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Any])
    #expect(comparison["prompts"] as? Int == 4)
    let policySide = try #require(comparison["policy"] as? [String: Any]), baselineSide = try #require(comparison["baseline"] as? [String: Any])
    let kl = try #require(policySide["klToReference"] as? Double), baselineKL = try #require(baselineSide["klToReference"] as? Double)
    #expect(kl != 0 && baselineKL == 0, "the adapters are on the evaluated model only: KL \(kl) against \(baselineKL)")
}

/// `ppo --chat` against a frozen reward model that reads chat prompts over the same file reads
/// the reward in the reference pass.
func expectChatPPOReadsTheRewardInTheReferencePass(gguf: URL, rewardModel: URL, folder: URL) throws {
    let prompts = folder.appendingPathComponent("prompts.txt"), config = folder.appendingPathComponent("ppo-config.json")
    let run = folder.appendingPathComponent("ppo-chat-reward")
    let ppo = try rlhf(["ppo", "--model", gguf.path, "--lora-rank", "4", "--reward-model", rewardModel.path, "--prompts", prompts.path,
                        "--chat", "--config", config.path, "--output", run.path])
    #expect(ppo.status == 0, "\(ppo.error)")
    #expect(ppo.output.contains("one pass with the adapters off"), "\(ppo.output)")
    let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(metrics.count == 2 && metrics.allSatisfy { ($0["objective/scores"] as? Double)?.isFinite == true })
}
