// Options shared by the model commands.
import ArgumentParser
import AtomicFiles
import ConfigFiles
import Foundation
import LanguageModeling
import TrainingRuns
import Transformer

struct ModelOptions: ParsableArguments {
    @Option(help: "A model: a Hugging Face folder (GPT-2 or Llama: config.json, model.safetensors, tokenizer.json or vocab.json + merges.txt), a .gguf file, or a PEFT adapter folder naming its base.")
    var model: String

    @Option(help: "A PEFT adapter folder (adapter_config.json, adapter_model.safetensors) to apply on top of --model.")
    var adapter: String?

    @Option(help: "How a frozen .gguf model holds its matrices: compact (the file's Q4_1/Q8_0 blocks, 5–8.5 bits a weight, decoded for each batched product) or f32 (32 bits a weight: faster batched sampling and LoRA training; decoding one row still reads the blocks).")
    var frozenMatrices: FrozenMatrices = .compact

    var url: URL { URL(fileURLWithPath: model) }

    func load(trainable: Bool = false) throws -> LanguageModel {
        try LanguageModel.load(from: url, adapter: adapter.map { URL(fileURLWithPath: $0) }, trainable: trainable, frozenMatrices: frozenMatrices)
    }

    /// The model in a run's inputs, by path and content; the form of the frozen matrices too,
    /// since it rounds the products differently and a resumed run would no longer continue exactly.
    func record(in inputs: inout RunInputs) throws {
        try inputs.recordModel("--model", model)
        // An adapter folder's own files name its base by path: the base saved again there is
        // another model too.
        if LanguageModel.isAdapterFolder(url) {
            try inputs.recordModel(RunInputs.baseKey("--model"), LanguageModel.baseModel(of: AtomicFolder.readable(url)).path)
        }
        try inputs.recordModel("--adapter", adapter)
        inputs.record("--frozen-matrices", frozenMatrices.rawValue)
    }
}

extension FrozenMatrices: ExpressibleByArgument {}

/// The run folder and configuration of a training command.
struct RunFolderOptions: ParsableArguments {
    @Option(help: "The run folder: config.json, metrics.jsonl, checkpoints/, and the final model in model/.")
    var output: String

    @Option(help: "A JSON file with the run configuration; given fields replace the defaults.")
    var config: String?

    var folderURL: URL { URL(fileURLWithPath: output) }

    /// The run configuration: the defaults with the --config file's fields laid over them, checked
    /// (an error names the file).
    func configuration<Configuration: RunSettings>(_: Configuration.Type = Configuration.self) throws -> Configuration {
        try config.map {
            try ConfigurationFile.load(Configuration.self, from: URL(fileURLWithPath: $0), defaults: Configuration()) { try $0.validate() }
        } ?? Configuration()
    }
}

/// The run folder of a training command that writes checkpoints, and whether to continue one.
struct RunOptions: ParsableArguments {
    @OptionGroup var folder: RunFolderOptions

    @Flag(help: "Continue from the run folder's latest checkpoint.")
    var resume = false

    var folderURL: URL { folder.folderURL }

    func configuration<Configuration: RunSettings>(_: Configuration.Type = Configuration.self) throws -> Configuration {
        try folder.configuration(Configuration.self)
    }
}

/// Low-rank adaptation, for the commands that train a model.
struct LoRAOptions: ParsableArguments {
    @Option(help: "Train rank-r low-rank adapters instead of the whole model (the base stays frozen and is stored once).")
    var loraRank: Int?

    @Option(help: "LoRA scale numerator: updates are scaled by alpha / rank (default 2·rank).")
    var loraAlpha: Float?

    @Option(help: "Dropout on the adapters' inputs during training.")
    var loraDropout: Float = 0

    @Option(help: "Comma-separated module names to adapt (default: every linear layer: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj for Llama; c_attn,c_proj,c_fc for GPT-2).")
    var loraTargets: String?

    func validate() throws {
        if loraRank == nil && (loraAlpha != nil || loraDropout != 0 || loraTargets != nil) {
            throw ValidationError("--lora-alpha, --lora-dropout and --lora-targets shape new adapters: give --lora-rank as well")
        }
    }

    /// The adapters' shape as given on the command line, in a run's inputs.
    func record(in inputs: inout RunInputs) {
        inputs.record("--lora-rank", loraRank.map(String.init))
        inputs.record("--lora-alpha", loraAlpha.map { "\($0)" })
        inputs.record("--lora-dropout", loraRank == nil ? nil : "\(loraDropout)")
        inputs.record("--lora-targets", loraTargets)
    }

    /// The configuration asked for, with the family's default targets; nil without --lora-rank.
    func configuration(for network: any CausalLanguageModel) -> LoRAConfiguration? {
        guard let loraRank else { return nil }
        let defaults = network is GPT ? LoRAConfiguration.gptModules : LoRAConfiguration.llamaModules
        return LoRAConfiguration(
            rank: loraRank, alpha: loraAlpha ?? Float(2 * loraRank), dropout: loraDropout,
            targetModules: loraTargets.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? defaults)
    }
}
