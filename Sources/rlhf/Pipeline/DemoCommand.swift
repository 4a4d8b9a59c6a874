// `rlhf demo`: the whole RLHF pipeline on the shipped data, with progress throughout, into one
// run folder ending in report.html.
import ArgumentParser
import ConfigFiles
import Foundation
import Pipeline

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The RLHF pipeline end to end: simulated feedback, a reward model, policy optimisation, evaluation and a report.")

    @Option(help: "The run folder (an interrupted demo resumes from the stages it finished).")
    var output = "runs/demo"

    @Option(help: "The folder scripts/fetch-data.sh filled.")
    var data = "data"

    @Option(help: """
        scratch (a GPT-2-architecture model pretrained and fine-tuned here, then PPO; about 15 minutes on two cores), quick (the \
        same at CI scale, about 2 minutes) or smollm2 (SmolLM2-135M-Instruct with PPO-LoRA, DPO-LoRA and best-of-N; about 25 minutes).
        """)
    var preset = "scratch"

    @Option(help: "A JSON file of the preset's configuration fields (DemoConfiguration, or SmolLM2DemoConfiguration for smollm2) laid over it.")
    var config: String?

    @Flag(help: "Exit with status 3 when a seed misses the goals (win rate, KL, reference perplexity).")
    var checkGoals = false

    func run() async throws {
        let folder = URL(fileURLWithPath: output)
        let start = Date()
        let view = DemoProgressView()
        let report = folder.appendingPathComponent("report.html").path
        switch preset {
        case "scratch", "standard", "quick":
            let configuration = try prepare(folder, preset == "quick" ? DemoConfiguration.quick : .standard)
            let outcome = try await DemoPipeline(configuration: configuration, folder: folder, dataFolder: URL(fileURLWithPath: data), events: view.handle).run()
            print(DemoSummary.text(outcome, seconds: Date().timeIntervalSince(start), report: report))
            if checkGoals && !outcome.passed { throw ExitCode(3) }
        case "smollm2":
            let configuration = try prepare(folder, SmolLM2DemoConfiguration.standard)
            let outcome = try await SmolLM2DemoPipeline(configuration: configuration, folder: folder, dataFolder: URL(fileURLWithPath: data), events: view.handle).run()
            print(DemoSummary.text(outcome, seconds: Date().timeIntervalSince(start), report: report))
            if checkGoals && outcome.methods.contains(where: { $0.passed == false }) { throw ExitCode(3) }
        default:
            throw ValidationError("--preset must be scratch, quick or smollm2, got \(preset)")
        }
    }

    /// The preset with --config laid over it, checked against (or written to) the folder's config.json.
    private func prepare<Configuration: Codable>(_ folder: URL, _ preset: Configuration) throws -> Configuration {
        var configuration = preset
        if let config {
            configuration = try ConfigurationFile.load(Configuration.self, from: URL(fileURLWithPath: config), defaults: configuration)
        }
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
        return configuration
    }

    /// The dotted names of the fields whose values differ between two encoded configurations:
    /// resuming a folder under another configuration would mix stages made by both.
    static func changedFields(_ stored: Data, _ current: Data) throws -> [String] {
        func flatten(_ value: Any, _ prefix: String, into fields: inout [String: String]) {
            if let object = value as? [String: Any] {
                for (key, child) in object { flatten(child, prefix.isEmpty ? key : "\(prefix).\(key)", into: &fields) }
            } else if let array = value as? [Any] {
                // Element by element: an array's description prints its objects' keys in no fixed order.
                fields["\(prefix).count"] = "\(array.count)"
                for (index, child) in array.enumerated() { flatten(child, "\(prefix)[\(index)]", into: &fields) }
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
