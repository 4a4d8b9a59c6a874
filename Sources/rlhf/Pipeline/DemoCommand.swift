// `rlhf demo`: the whole RLHF pipeline on the shipped data, with progress throughout, into one
// run folder ending in report.html.
import ArgumentParser
import ConfigFiles
import Foundation
import Pipeline

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Pretrain, fine-tune, collect simulated feedback, train a reward model, run PPO, evaluate and report.")

    @Option(help: "The run folder (an interrupted demo resumes from the stages it finished).")
    var output = "runs/demo"

    @Option(help: "The folder scripts/fetch-data.sh filled.")
    var data = "data"

    @Option(help: "standard (about 15 minutes on two cores) or quick (about 2 minutes).")
    var preset = "standard"

    @Option(help: "A JSON file of DemoConfiguration fields laid over the preset.")
    var config: String?

    @Flag(help: "Exit with status 3 when a seed misses the goals (win rate, KL, reference perplexity).")
    var checkGoals = false

    func run() async throws {
        var configuration: DemoConfiguration
        switch preset {
        case "standard": configuration = .standard
        case "quick": configuration = .quick
        default: throw ValidationError("--preset must be standard or quick, got \(preset)")
        }
        if let config {
            configuration = try ConfigurationFile.load(DemoConfiguration.self, from: URL(fileURLWithPath: config), defaults: configuration)
        }
        let folder = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configURL = folder.appendingPathComponent("config.json")
        let encoded = try ConfigurationFile.encode(configuration)
        if let stored = try? Data(contentsOf: configURL) {
            let changed = try Self.changedFields(stored, encoded)
            guard changed.isEmpty else {
                throw DemoConfigurationError("""
                    \(configURL.path) holds another configuration (\(changed.joined(separator: ", ")) differ), and the \
                    stages already in \(folder.path) were made with it. Give another --output, or remove the folder to start over.
                    """)
            }
        }
        try encoded.write(to: configURL, options: .atomic)
        let view = DemoProgressView()
        let start = Date()
        let outcome = try await DemoPipeline(configuration: configuration, folder: folder, dataFolder: URL(fileURLWithPath: data), events: view.handle).run()
        print(DemoSummary.text(outcome, seconds: Date().timeIntervalSince(start), report: folder.appendingPathComponent("report.html").path))
        if checkGoals && !outcome.passed { throw ExitCode(3) }
    }

    /// The dotted names of the fields whose values differ between two encoded configurations:
    /// resuming a folder under another configuration would mix stages made by both.
    static func changedFields(_ stored: Data, _ current: Data) throws -> [String] {
        func flatten(_ value: Any, _ prefix: String, into fields: inout [String: String]) {
            if let object = value as? [String: Any] {
                for (key, child) in object { flatten(child, prefix.isEmpty ? key : "\(prefix).\(key)", into: &fields) }
            } else {
                fields[prefix] = "\(value)"
            }
        }
        var old: [String: String] = [:], new: [String: String] = [:]
        flatten(try JSONSerialization.jsonObject(with: stored), "", into: &old)
        flatten(try JSONSerialization.jsonObject(with: current), "", into: &new)
        return Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }
}
