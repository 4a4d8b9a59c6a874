// `rlhf demo`: the whole RLHF pipeline on the shipped data, with progress throughout, into one
// run folder ending in report.html.
import ArgumentParser
import ConfigFiles
import Foundation
import Pipeline
import Transformer

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The RLHF pipeline end to end: simulated feedback, a reward model, policy optimisation, evaluation and a report.")

    @Option(help: "The run folder (an interrupted demo resumes from the stages it finished).")
    var output = "runs/demo"

    @OptionGroup var data: DataFolderOptions

    @Option(help: """
        smollm2 (SmolLM2-135M-Instruct with PPO-LoRA, DPO-LoRA and best-of-N; about 20 minutes on two cores), scratch (a \
        GPT-2-architecture model pretrained and fine-tuned here, then PPO; about 13 minutes) or quick (scratch at CI scale, about 3 minutes).
        """)
    var preset = "smollm2"

    @Option(help: "A JSON file of the preset's configuration fields (DemoConfiguration, or SmolLM2DemoConfiguration for smollm2) laid over it.")
    var config: String?

    @Option(help: "How SmolLM2's frozen matrices are held: f32 (faster batched sampling, about 400 MB more per copy of the model) or compact (the file's blocks only). The model is the same; a PPO run's trajectory may differ by rounding.")
    var frozenMatrices: FrozenMatrices = .float32

    @Flag(help: "Exit with status 3 when a goal is missed: the scratch and quick presets' three per seed (population judge's win rate, KL, reference perplexity); the smollm2 preset's per method (both judges' win rates and the lower end of their intervals, KL, reference perplexity, length, repetition).")
    var checkGoals = false

    func run() async throws {
        let folder = URL(fileURLWithPath: output)
        let start = Date()
        let view = DemoProgressView()
        let report = folder.appendingPathComponent("report.html").path
        switch preset {
        case "scratch", "quick":
            let configuration = try RunFolderConfiguration.prepare(folder, config: config, preset == "quick" ? DemoConfiguration.quick : .standard) { try $0.validate() }
            let outcome = try await DemoPipeline(configuration: configuration, folder: folder, dataFolder: data.url, events: view.handle).run()
            print(DemoSummary.text(outcome, seconds: Date().timeIntervalSince(start), report: report))
            if checkGoals && !outcome.passed { throw ExitCode(3) }
        case "smollm2":
            let configuration = try RunFolderConfiguration.prepare(folder, config: config, SmolLM2DemoConfiguration.standard) { try $0.validate() }
            let outcome = try await SmolLM2DemoPipeline(
                configuration: configuration, folder: folder, dataFolder: data.url, frozenMatrices: frozenMatrices, events: view.handle).run()
            print(DemoSummary.text(outcome, seconds: Date().timeIntervalSince(start), report: report))
            if checkGoals && outcome.methods.contains(where: { $0.passed == false }) { throw ExitCode(3) }
        default:
            throw ValidationError("--preset must be scratch, quick or smollm2, got \(preset)")
        }
    }
}
