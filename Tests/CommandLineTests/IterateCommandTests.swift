// `rlhf iterate` end to end at a tiny size on the real prompts and raters: every round gathers its
// label budget, trains a reward model and a policy, the arena rates every round, the report and
// plots are written, and a second invocation with one more round keeps the finished rounds.
import Feedback
import Foundation
import LanguageModeling
import Testing
import Tokenization
import Transformer

@Suite struct IterateCommandTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func roundsGatherLabelsTrainAndEnterTheArena() throws {
        let workspace = try CrashWorkspace.shared.get()
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (start, base) = try Self.tinyModels(in: folder, workspace: workspace)
        let config = folder.appendingPathComponent("tiny.json")
        try "{\(Self.tinySettings)}".write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent("iterate")
        let arguments = { (rounds: Int) in
            ["iterate", "--model", start.path, "--base", base.path, "--rounds", "\(rounds)", "--config", config.path,
             "--output", run.path, "--data", Self.packageRoot.appendingPathComponent("data").path]
        }
        let first = try rlhf(arguments(2))
        #expect(first.status == 0, "\(first.error)")
        let outcome = try Self.outcome(run)
        let rounds = try #require(outcome["rounds"] as? [[String: Any]])
        #expect(rounds.compactMap { $0["round"] as? Int } == [0, 1, 2])
        #expect(rounds.dropFirst().allSatisfy { $0["labels"] as? Int == 12 }, "each round spends its whole label budget: \(rounds)")
        #expect(rounds.allSatisfy { ($0["judgeScore"] as? Double)?.isFinite == true })
        #expect(rounds.dropFirst().allSatisfy { ($0["klToReference"] as? Double)?.isFinite == true })
        // Repetition against the start at equal lengths: each side measured on the same words per prompt.
        for round in rounds {
            let matched = try #require(round["repetitionAtEqualLengths"] as? [String: [String: Any]], "\(round)")
            #expect(matched["policy"]?["meanWords"] as? Double == matched["baseline"]?["meanWords"] as? Double)
        }
        let entrants = try Self.entrants(outcome)
        #expect(entrants == ["base", "round-1", "round-2", "start"], "\(entrants)")
        for file in ["report.html", "rating-by-round.svg", "judge-by-round.svg", "round-2/policy/model/model.safetensors", "round-2/reward/model/model.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "\(file) is written")
        }
        let report = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("distinct-2 at equal lengths, vs the start") && report.contains("intervals resample the prompts'"))
        #expect(!report.contains("Saved by an earlier version"))
        #expect(rounds.allSatisfy { ($0["winRateFilms"] as? Int ?? 0) >= 1 }, "every round's interval resampled films: \(rounds)")
        for round in rounds {
            let count = try #require(round["versusStart"] as? [String: Int], "\(round)")
            let (wins, ties, losses) = (count["wins"] ?? -1, count["ties"] ?? -1, count["losses"] ?? -1)
            #expect(wins >= 0 && ties >= 0 && losses >= 0 && wins + ties + losses == 12, "one outcome per held-out prompt: \(count)")
            #expect(abs((Double(wins) + 0.5 * Double(ties)) / 12 - (round["winRateVersusStart"] as? Double ?? -1)) < 1e-12)
        }
        let lastCount = try #require(rounds.last?["versusStart"] as? [String: Int])
        #expect(report.contains("<th>wins/ties/losses</th>") && report.contains("<td>\(lastCount["wins"] ?? -1)/\(lastCount["ties"] ?? -1)/\(lastCount["losses"] ?? -1)</td>"))
        let firstRound = try Data(contentsOf: run.appendingPathComponent("round-1/round.json"))
        let secondPolicy = try Data(contentsOf: run.appendingPathComponent("round-2/policy/model/model.safetensors"))

        let second = try rlhf(arguments(3))
        #expect(second.status == 0, "\(second.error)")
        #expect(second.output.contains("round 3:"), "\(second.output)")
        #expect(try Data(contentsOf: run.appendingPathComponent("round-1/round.json")) == firstRound, "finished rounds are kept")
        #expect(try Data(contentsOf: run.appendingPathComponent("round-2/policy/model/model.safetensors")) == secondPolicy)
        #expect(try Self.entrants(Self.outcome(run)) == ["base", "round-1", "round-2", "round-3", "start"])

        // A folder made before a setting existed: its config.json lacks the key, and the setting's
        // default is what that version did, so the folder resumes.
        let configURL = run.appendingPathComponent("config.json")
        var stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        var ppo = try #require(stored["ppo"] as? [String: Any])
        #expect(ppo.removeValue(forKey: "annealLearningRate") as? Bool == false)
        stored["ppo"] = ppo
        try JSONSerialization.data(withJSONObject: stored).write(to: configURL)
        let older = try rlhf(arguments(3))
        #expect(older.status == 0, "a setting missing from an older folder's config.json is its default: \(older.error)")
        #expect(try Data(contentsOf: run.appendingPathComponent("round-2/policy/model/model.safetensors")) == secondPolicy)

        // A round saved before the intervals resampled films reads back, and the report says which.
        let roundURL = run.appendingPathComponent("round-1/round.json")
        var saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: roundURL)) as? [String: Any])
        #expect(saved.removeValue(forKey: "winRateFilms") != nil && saved.removeValue(forKey: "versusStart") != nil)
        try JSONSerialization.data(withJSONObject: saved).write(to: roundURL)
        let mixed = try rlhf(arguments(3))
        #expect(mixed.status == 0, "\(mixed.error)")
        let mixedReport = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(mixedReport.contains("Saved by an earlier version") && mixedReport.contains("<td>not kept</td>"))

        let changed = try rlhf(arguments(3).filter { $0 != config.path && $0 != "--config" })
        #expect(changed.status != 0 && changed.error.contains("judgmentsPerRound"), "a folder refuses another configuration: \(changed.error)")
        var otherStart = arguments(3)
        otherStart[2] = base.path
        let restarted = try rlhf(otherStart)
        #expect(restarted.status != 0 && restarted.error.contains("--model was \(start.path), now \(base.path)"),
                "a folder refuses rounds continued from another starting model: \(restarted.error)")

        // The starting model retrained at the same path is another model too.
        let recordURL = run.appendingPathComponent("inputs.json")
        let record = try Data(contentsOf: recordURL)
        let weightsURL = start.appendingPathComponent("model.safetensors")
        let weights = try Data(contentsOf: weightsURL)
        var flipped = weights
        flipped[flipped.count - 1] ^= 1
        try flipped.write(to: weightsURL)
        let retrained = try rlhf(arguments(3))
        #expect(retrained.status != 0 && retrained.error.contains("content of --model was"), "\(retrained.error)")
        #expect(try Data(contentsOf: recordURL) == record, "the refused run rewrote inputs.json")

        // A record from before inputs.json was a training run's names the starting model by path only.
        let legacy = { (path: String) in try JSONSerialization.data(withJSONObject: ["start": path]).write(to: recordURL) }
        try legacy(start.path)
        let legacyRecord = try rlhf(arguments(3))
        #expect(legacyRecord.status == 0, "an older record goes by the paths: \(legacyRecord.error)")
        try legacy(base.path)
        let olderChanged = try rlhf(arguments(3))
        #expect(olderChanged.status != 0 && olderChanged.error.contains("--model was \(base.path), now \(start.path)"), "\(olderChanged.error)")
        try weights.write(to: weightsURL)
    }

    /// DPO's reference is the round's starting policy by default: round 2's first step, taken
    /// before any update, finds the policy equal to its reference (loss ln 2, no implicit reward).
    /// Leashed to the starting model instead, round 2 starts where round 1 moved away from it.
    @Test(arguments: [true, false]) func dpoRoundsLearnAgainstTheirReference(leashToPreviousRound: Bool) async throws {
        let workspace = try CrashWorkspace.shared.get()
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A random model's answers hold no rated words, so every ranking would be a tie and DPO
        // would have no pairs: the start has learned the workspace's reviews.
        let start = folder.appendingPathComponent("pretrained")
        try #"{"model": {"contextLength": 96, "width": 32, "layers": 2, "heads": 2}, "optimization": {"steps": 400, "learningRate": 3e-3}}"#
            .write(to: folder.appendingPathComponent("pretrain.json"), atomically: true, encoding: .utf8)
        let pretrained = try rlhf([
            "pretrain", "--tokenizer", workspace.path("tokenizer"), "--corpus", workspace.path("corpus.txt"),
            "--config", folder.appendingPathComponent("pretrain.json").path, "--output", start.path,
        ])
        try #require(pretrained.status == 0, "\(pretrained.error)")
        let config = folder.appendingPathComponent("dpo.json")
        try """
            {\(Self.tinySettings), "optimizer": "dpo", "leashToPreviousRound": \(leashToPreviousRound),
             "dpo": {"heldOutPeriod": 4, "optimization": {"steps": 4, "batchSize": 4, "learningRate": 1e-3, "minimumLearningRate": 1e-3,
                     "warmupSteps": 0, "logInterval": 1, "checkpointInterval": 2}}}
            """.write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent("iterate")
        // Any reward model can be the second judge; the workspace's stands in for a critics' judge.
        let result = try rlhf([
            "iterate", "--model", start.appendingPathComponent("model").path, "--rounds", "2", "--config", config.path, "--output", run.path,
            "--data", Self.packageRoot.appendingPathComponent("data").path, "--critic", workspace.path("reward/model"),
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(try Self.entrants(Self.outcome(run)) == ["round-1", "round-2", "start"])
        let summaries = try #require(try Self.outcome(run)["rounds"] as? [[String: Any]])
        for summary in summaries.dropFirst() {
            let rate = try #require(summary["criticWinRate"] as? Double), interval = try #require(summary["criticWinRateInterval"] as? [Double])
            #expect(interval[0] <= rate && rate <= interval[1] && (0...1).contains(rate), "\(summary)")
        }
        #expect(result.output.contains("(critics' judge "), "\(result.output)")
        for round in 1...2 {
            let records = try String(contentsOf: run.appendingPathComponent("round-\(round)/policy/metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(records.filter { $0["rewards/accuracies"] != nil }.count == 4, "TRL's DPO metrics every step: \(records)")
            let first = try #require(records.first)
            let chosen = try #require(first["rewards/chosen"] as? Double)
            if round == 1 || leashToPreviousRound {
                let loss = try #require(first["loss"] as? Double)
                #expect(abs(loss - log(2)) < 1e-4 && abs(chosen) < 1e-4, "round \(round) starts at its reference: \(first)")
            } else {
                #expect(abs(chosen) > 1e-2, "round 2 starts away from the starting model, its reference: \(first)")
            }
        }
        let report = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("4 steps of DPO") && report.contains("critics' judge: win rate vs start"))

        // Round 1's store changes after its labels were in (an annotator excluded); its DPO run,
        // resumed from its last checkpoint, still reads the rankings its checkpoints were written for.
        let store = try FeedbackStore(path: run.appendingPathComponent("round-1/feedback.sqlite").path)
        try await store.setExcludedFromExports(true, annotatorNamed: "rater-0")
        #expect(try await store.rankedComparisons().count < 12, "the exclusion changed what the store gives")
        for done in ["round-1/round.json", "round-1/policy/model"] { try FileManager.default.removeItem(at: run.appendingPathComponent(done)) }
        let resumed = try rlhf([
            "iterate", "--model", start.appendingPathComponent("model").path, "--rounds", "2", "--config", config.path, "--output", run.path,
            "--data", Self.packageRoot.appendingPathComponent("data").path, "--critic", workspace.path("reward/model"),
        ])
        #expect(resumed.status == 0, "\(resumed.error)")
    }

    /// A random model's answers hold no rated words, so every ranking is a tie: the round has
    /// nothing to learn from, and the run goes on with the policy it had.
    @Test func aDPORoundWithoutPairsCarriesThePolicyOn() throws {
        let workspace = try CrashWorkspace.shared.get()
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (start, _) = try Self.tinyModels(in: folder, workspace: workspace)
        let config = folder.appendingPathComponent("dpo.json")
        try "{\(Self.tinySettings), \"optimizer\": \"dpo\"}".write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent("iterate")
        let result = try rlhf([
            "iterate", "--model", start.path, "--rounds", "1", "--config", config.path, "--output", run.path,
            "--data", Self.packageRoot.appendingPathComponent("data").path,
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.contains("give no preference pairs") || result.output.contains("give no preference pairs"))
        let policy = try Data(contentsOf: run.appendingPathComponent("round-1/policy/model/model.safetensors"))
        #expect(policy == (try Data(contentsOf: start.appendingPathComponent("model.safetensors"))), "the policy is the start's")
    }

    @Test func peopleNeedTheStoreTheServerLabelsInto() throws {
        let refused = try rlhf(["iterate", "--model", "unused", "--annotators", "people"])
        #expect(refused.status != 0 && refused.error.contains("--db"), "\(refused.error)")
    }

    /// Settings of a run of a few seconds.
    static let tinySettings = """
        "candidateTasks": 24, "judgmentsPerRound": 12, "annotators": 3, "evaluationPrompts": 12, "arenaPrompts": 6, "arenaBootstrapRounds": 20,
        "reward": {"epochs": 1, "heldOutPeriod": 4, "normalizationSamples": 8, "optimization": {"batchSize": 4}},
        "ppo": {"iterations": 2, "batchSize": 4, "minibatches": 2, "epochs": 1, "responseLength": 8, "checkpointInterval": 1}
        """

    static func scratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-iterate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A tiny GPT saved as the starting model and another as the base.
    static func tinyModels(in folder: URL, workspace: CrashWorkspace) throws -> (start: URL, base: URL) {
        let tokenizer = try BPETokenizer(directory: workspace.url("tokenizer"))
        let gpt = try GPT(configuration: GPTConfiguration(
            vocabularySize: tokenizer.vocabularySize, contextLength: 96, width: 32, layers: 2, heads: 2,
            endOfTextToken: tokenizer.specialTokenID("<|endoftext|>").map(Int32.init)))
        gpt.initialize(seed: 3)
        let start = folder.appendingPathComponent("start")
        try LanguageModel(network: gpt, tokenizer: tokenizer).save(to: start)
        gpt.initialize(seed: 4)
        let base = folder.appendingPathComponent("base")
        try LanguageModel(network: gpt, tokenizer: tokenizer).save(to: base)
        return (start, base)
    }

    static func outcome(_ run: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("iterate.json"))) as? [String: Any])
    }

    static func entrants(_ outcome: [String: Any]) throws -> [String] {
        let arena = try #require(outcome["arena"] as? [String: Any])
        let models = try #require(arena["models"] as? [String: Any])
        let standings = try #require(models["standings"] as? [[String: Any]])
        return standings.compactMap { $0["model"] as? String }.sorted()
    }
}
