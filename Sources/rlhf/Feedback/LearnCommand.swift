// `rlhf learn`: the chatbot learns from its users. The store's corrections become SFT
// demonstrations and preference pairs (a correction over the answer it replaced, thumbs-down
// answers as rejected), LoRA adapters train on them (SFT, then DPO), and the result is a new
// adapter version in --output, with provenance, recorded in the store as the active version.
import ArgumentParser
import ConfigFiles
import CorrectionLearning
import Feedback
import Foundation
import LanguageModeling

struct LearnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Train a new LoRA adapter version on the feedback store's corrections (SFT, then DPO) and record it in the store.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var model: ModelOptions

    @Option(name: [.customLong("output"), .customLong("out")], help: "The folder of adapter versions: each round adds version-NNNN/ (PEFT files, provenance.json, training/) and keeps the others.")
    var output: String

    @Option(help: "A JSON file with the learning configuration (lora, seed, sft, dpo, dpoLoss, ...); given fields replace the defaults.")
    var config: String?

    @OptionGroup var loraOptions: LoRAOptions

    @Flag(help: "Record the new version without making it the chat's active one.")
    var keepActiveVersion = false

    func run() async throws {
        var configuration = try config.map {
            try ConfigurationFile.load(LearningConfiguration.self, from: URL(fileURLWithPath: $0), defaults: LearningConfiguration()) { try $0.validate() }
        } ?? LearningConfiguration()
        let store = try await database.openExistingStore()
        let loaded = try model.load(trainable: false)
        if let lora = loraOptions.configuration(for: loaded.network) { configuration.lora = lora }
        let learner = try CorrectionLearner(configuration: configuration)
        // A --model that is itself an adapter folder is the starting adapter.
        let starting = model.adapter.map { URL(fileURLWithPath: $0) } ?? (loaded.network.adapters != nil ? model.url : nil)
        let views = ["sft": TrainingProgressView(title: "learn sft"), "dpo": TrainingProgressView(title: "learn dpo", lossIsCrossEntropy: false)]
        let learned = try await learner.learn(
            from: store, storeName: database.displayName, model: loaded, startingAdapter: starting, versions: URL(fileURLWithPath: output),
            activate: !keepActiveVersion
        ) { event in
            switch event {
            case let .started(version, demonstrations, pairs):
                print("version \(version): \(demonstrations) corrections as demonstrations, \(pairs) preference pairs")
            case let .training(stage, event):
                views[stage]?.handle(event)
            case let .checked(answer):
                print("\(answer.reproduced ? "learned" : "not yet")  \(answer.prompt.debugDescription) → \(answer.greedyAnswer.debugDescription)")
            case let .drifted(drift):
                print(String(format: "held out  KL %.4f nats/token  %@", drift.klPerToken, drift.prompt.debugDescription))
            }
        }
        let metrics = learned.provenance.metrics
        let reproduced = metrics["corrections/reproduced"].map { String(format: "; corrections reproduced %.0f%%", 100 * $0) } ?? ""
        let drift = metrics["drift/kl_per_token_mean"].map { String(format: "; held-out KL %.4f nats/token", $0) } ?? ""
        let state = learned.version.isActive ? " (active)" : keepActiveVersion ? "" : " (not made active: an administrator rolled back or switched versions, before or while it trained; the admin page activates it)"
        print("version \(learned.version.id) in \(learned.folder.path)\(state)\(reproduced)\(drift)")
    }
}
