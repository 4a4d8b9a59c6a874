// The --config files the README and docs tell a user to run must still lay over their preset: a
// field renamed or removed since would otherwise surface only after a long run has started.
import ConfigFiles
import Foundation
import Testing
@testable import Pipeline

@Suite struct ScriptConfigurationTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts").standardizedFileURL

    @Test(arguments: ["smollm2-goals.json", "smollm2-goals-feedback400.json", "smollm2-critics-ceiling.json"])
    func smolLM2DemoConfigurationsLayOverThePreset(_ file: String) throws {
        let preset = SmolLM2DemoConfiguration()
        let configuration = try ConfigurationFile.load(SmolLM2DemoConfiguration.self, from: Self.scripts.appendingPathComponent(file), defaults: preset)
        try configuration.validate()
        #expect(configuration != preset)
    }

    @Test func theGoalsMeasureThreeSeedsOn400Prompts() throws {
        for file in ["smollm2-goals.json", "smollm2-goals-feedback400.json"] {
            let configuration = try ConfigurationFile.load(
                SmolLM2DemoConfiguration.self, from: Self.scripts.appendingPathComponent(file), defaults: SmolLM2DemoConfiguration())
            #expect(configuration.ppoSeeds == [0, 1, 2] && configuration.evaluationPrompts == 400)
        }
    }

    @Test func theCrashResumeConfigurationLaysOverTheQuickPreset() throws {
        let configuration = try ConfigurationFile.load(
            DemoConfiguration.self, from: Self.scripts.appendingPathComponent("demo-crash-resume.json"), defaults: .quick)
        try configuration.validate()
        #expect(configuration != .quick)
    }
}
