// A refused setting deep inside a pipeline's configuration is named by the key path a person edits
// in the --config file, each level once (a nested type names its own fields, its holder adds its
// key): ppo.batchSize, dpo.dpo.beta, reward.loss.tieStrength.
import ConfigFiles
import Foundation
import Testing
import Pipeline

@Suite struct ConfigurationPathTests {
    /// The error of `json` laid over `defaults` and validated, as a command shows it.
    func refusal<C: Codable>(_ json: String, over defaults: C, validate: (C) throws -> Void) -> String {
        do {
            let configuration = try ConfigurationFile.overlay(Data(json.utf8), on: defaults, source: "c.json")
            try validate(configuration)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func theSmolLM2DemosNestedSettingsAreNamedByTheirKeyPaths() {
        let smol = SmolLM2DemoConfiguration()
        for (json, path) in [
            (#"{"ppo": {"batchSize": 0}}"#, "ppo.batchSize"), (#"{"dpo": {"dpo": {"beta": -1}}}"#, "dpo.dpo.beta"),
            (#"{"dpo": {"optimization": {"steps": 0}}}"#, "dpo.optimization.steps"), (#"{"reward": {"loss": {"tieStrength": 0}}}"#, "reward.loss.tieStrength"),
            (#"{"critic": {"optimization": {"learningRate": 0}}}"#, "critic.optimization.learningRate"),
            (#"{"ppo": {"overoptimizationGuard": {"window": 0}}}"#, "ppo.overoptimizationGuard.window"),
        ] {
            let text = refusal(json, over: smol) { try $0.validate() }
            #expect(text.contains(" \(path)") || text.contains("\"\(path)\""), "\(json): \(text)")
            #expect(!text.contains("dpo.dpo.dpo") && !text.contains("loss.loss"), "\(text)")
        }
    }

    @Test func theRoundsAndTheScratchDemoNameTheirsToo() {
        #expect(refusal(#"{"dpo": {"dpo": {"labelSmoothing": 0.7}}, "optimizer": "dpo"}"#, over: OnlineRLHFConfiguration()) { try $0.validate() }
            .contains("dpo.dpo.labelSmoothing"))
        #expect(refusal(#"{"ppo": {"epochs": 0}}"#, over: DemoConfiguration.quick) { try $0.validate() }.contains("ppo.epochs"))
        #expect(refusal(#"{"samplesPerPrompt": 1}"#, over: DemoConfiguration.quick) { try $0.validate() }.contains("samplesPerPrompt: expected at least 2"))
    }
}
