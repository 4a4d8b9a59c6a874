// The --config files the README and docs tell a user to run must still lay over their preset: a
// field renamed or removed since would otherwise surface only after a long run has started.
import ConfigFiles
import Foundation
import Testing
@testable import Pipeline

@Suite struct ScriptConfigurationTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts").standardizedFileURL

    /// `file` laid over the SmolLM2 preset.
    static func smolLM2(_ file: String) throws -> SmolLM2DemoConfiguration {
        try ConfigurationFile.load(SmolLM2DemoConfiguration.self, from: scripts.appendingPathComponent(file), defaults: SmolLM2DemoConfiguration())
    }

    @Test(arguments: ["smollm2-goals.json", "smollm2-goals-feedback200.json", "smollm2-critics-ceiling.json"])
    func smolLM2DemoConfigurationsLayOverThePreset(_ file: String) throws {
        let configuration = try Self.smolLM2(file)
        try configuration.validate()
        #expect(configuration != SmolLM2DemoConfiguration())
    }

    @Test(arguments: ["smollm2-goals.json", "smollm2-goals-feedback200.json"])
    func theGoalsMeasureThreeSeedsOn400Prompts(_ file: String) throws {
        let configuration = try Self.smolLM2(file)
        #expect(configuration.ppoSeeds == [0, 1, 2])
        #expect(configuration.evaluationPrompts == 400)
    }

    @Test func theCrashResumeConfigurationLaysOverTheQuickPreset() throws {
        let configuration = try ConfigurationFile.load(
            DemoConfiguration.self, from: Self.scripts.appendingPathComponent("demo-crash-resume.json"), defaults: .quick)
        try configuration.validate()
        #expect(configuration != .quick)
    }
}
