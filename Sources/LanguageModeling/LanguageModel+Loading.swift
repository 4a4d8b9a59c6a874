// Reading and writing what `--model` names: a Hugging Face folder of either family (config.json's
// model_type says which), a GGUF file, or a PEFT adapter folder on top of its base model.
import AtomicFiles
import Checkpoints
import Tensors
import Foundation
import Tokenization
import Transformer

extension LanguageModel {
    /// Loads a model: a GGUF file, a checkpoint folder (GPT-2 or Llama), or an adapter folder
    /// whose adapter_config.json names its base. `adapter` attaches a PEFT adapter folder on top.
    /// `trainable` allocates gradients for the base weights (full fine-tuning); adapters are
    /// trainable whatever it says. `frozenMatrices` is how a frozen GGUF model holds its matrices
    /// (a folder's frozen model holds Floats, with block forms beside where its values fit one).
    /// A folder whose save was killed between the two renames of its swap is read where the
    /// previous folder waits (AtomicFolder.readable): the model it held until then.
    public static func load(from url: URL, adapter: URL? = nil, trainable: Bool = true, frozenMatrices: FrozenMatrices = .compact) throws -> LanguageModel {
        let url = AtomicFolder.readable(url), adapter = adapter.map(AtomicFolder.readable)
        if isAdapterFolder(url) {
            guard adapter == nil else {
                throw CheckpointError.invalidField(path: url.path, field: "--adapter", reason: "is given twice: the model folder is itself an adapter")
            }
            return try load(from: baseModel(of: url), adapter: url, trainable: trainable, frozenMatrices: frozenMatrices)
        }
        let model = url.pathExtension == "gguf"
            ? try loadGGUF(url, trainable: trainable, frozenMatrices: frozenMatrices) : try loadFolder(url, trainable: trainable)
        if let adapter {
            model.network.adapters = try LoRAAdapters.load(from: adapter, candidates: model.network.adaptableLayers)
        }
        return model
    }

    /// Whether `url` (read where loading reads) is a PEFT adapter folder standing for its base
    /// with the adapter on top, rather than a model of its own.
    public static func isAdapterFolder(_ url: URL) -> Bool {
        let url = AtomicFolder.readable(url), manager = FileManager.default
        return url.pathExtension != "gguf" && !manager.fileExists(atPath: url.appendingPathComponent("config.json").path)
            && manager.fileExists(atPath: url.appendingPathComponent(LoRAConfiguration.configFileName).path)
    }

    /// The base model an adapter folder names (`base_model_name_or_path`, relative to the folder
    /// when not absolute); a folder whose field is null, empty or absent names none.
    public static func baseModel(of adapterFolder: URL) throws -> URL {
        let configURL = adapterFolder.appendingPathComponent(LoRAConfiguration.configFileName)
        guard let data = FileManager.default.contents(atPath: configURL.path),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.malformed(path: configURL.path, reason: "not a JSON object")
        }
        guard let base = json["base_model_name_or_path"] as? String, !base.isEmpty else {
            throw CheckpointError.invalidField(path: configURL.path, field: "base_model_name_or_path", reason: "names no base model: give the base with --model and the adapter with --adapter")
        }
        let url = base.hasPrefix("/") ? URL(fileURLWithPath: base) : adapterFolder.appendingPathComponent(base)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CheckpointError.invalidField(path: configURL.path, field: "base_model_name_or_path", reason: "names \(base), which is not here: give the base with --model and the adapter with --adapter")
        }
        return url.standardizedFileURL
    }

    static func loadGGUF(_ url: URL, trainable: Bool, frozenMatrices: FrozenMatrices) throws -> LanguageModel {
        let file = try GGUFFile(contentsOf: url)
        let network = try Llama(gguf: file, trainable: trainable, frozenMatrices: frozenMatrices)
        let stop = network.configuration.endOfSequenceToken.map { [$0] }
        let jinja = file.metadata["tokenizer.chat_template"]?.string
        return try LanguageModel(
            network: network, tokenizer: try tokenizer(ofGGUF: file), stopTokens: stop, chatTemplate: jinja.flatMap(ChatTemplate.init(jinja:)),
            chatTemplateSource: jinja, source: url)
    }

    static func loadFolder(_ url: URL, trainable: Bool) throws -> LanguageModel {
        let configURL = url.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw CheckpointError.missingFile(path: configURL.path)
        }
        let type = (try? JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])?["model_type"] as? String
        let folder = try TokenizerFolder(directory: url)
        let tokenizer = folder.tokenizer
        switch type {
        case "llama":
            let network = try Llama.load(from: url, trainable: trainable)
            let eos = folder.settings.eosToken.flatMap(tokenizer.specialTokenID).map(Int32.init) ?? network.configuration.endOfSequenceToken
            let jinja = folder.settings.chatTemplate
            return try LanguageModel(
                network: network, tokenizer: tokenizer, stopTokens: eos.map { [$0] }, chatTemplate: jinja.flatMap(ChatTemplate.init(jinja:)),
                chatTemplateSource: jinja, source: url)
        case "gpt2", nil:
            return try LanguageModel(network: GPT.load(from: url, trainable: trainable), tokenizer: tokenizer, source: url)
        case let other?:
            throw CheckpointError.invalidField(path: configURL.path, field: "model_type", reason: "is \"\(other)\"; gpt2 and llama are read")
        }
    }

    /// The tokenizer alone, for commands that need nothing else: from a GGUF file, or from a
    /// folder's tokenizer files (no config.json or weights needed).
    public static func loadTokenizer(from url: URL) throws -> BPETokenizer {
        if url.pathExtension == "gguf" { return try tokenizer(ofGGUF: GGUFFile(contentsOf: url)) }
        return try BPETokenizer(directory: url)
    }

    /// The byte-level BPE tokenizer in a GGUF file's metadata. Pre-tokenizers other than GPT-2's
    /// pattern and SmolLM's (every digit apart, then GPT-2's pattern) are refused by name.
    public static func tokenizer(ofGGUF file: GGUFFile) throws -> BPETokenizer {
        let model = file.metadata["tokenizer.ggml.model"]?.string ?? "(none)"
        guard model == "gpt2" else {
            throw CheckpointError.invalidField(path: file.url.path, field: "tokenizer.ggml.model", reason: "is \"\(model)\"; only byte-level BPE (\"gpt2\") is read")
        }
        let field = "tokenizer.ggml.pre", pre = file.metadata[field]?.string
        if file.metadata[field] != nil, pre == nil { throw CheckpointError.invalidField(path: file.url.path, field: field, reason: "is not a string") }
        let splitsDigits: Bool
        switch pre {
        case "smollm": splitsDigits = true
        // llama.cpp names GPT-2's pattern "gpt-2"; "gpt2" was read here before and means the same.
        case "gpt-2", "gpt2": splitsDigits = false
        // llama.cpp splits the text of such a file with a default pattern of its own, not GPT-2's:
        // the two engines would feed the model different ids.
        case nil, "default":
            throw CheckpointError.invalidField(
                path: file.url.path, field: field,
                reason: "is \(pre.map { "\"\($0)\"" } ?? "missing"): the pre-tokenizer is not named (llama.cpp would split with its default pattern, not GPT-2's); \"gpt-2\" and \"smollm\" are read")
        case let other?:
            throw CheckpointError.invalidField(path: file.url.path, field: field, reason: "is \"\(other)\"; \"gpt-2\" and \"smollm\" are read")
        }
        return try BPETokenizer(
            tokens: try file.strings("tokenizer.ggml.tokens"), merges: try file.strings("tokenizer.ggml.merges"),
            splitsDigits: splitsDigits, source: file.url.path)
    }

    /// Writes the base network's checkpoint folder (a sequence classifier's with `scalarHead`)
    /// and the tokenizer files, each atomically: tokenizer.json + tokenizer_config.json (with the
    /// chat template as the model's files held it, or ChatML's as this engine renders it), which
    /// transformers reads for either family, and, when they express the tokenizer exactly (GPT-2's,
    /// not SmolLM2's), vocab.json + merges.txt, which GPT-2's slow tokenizer and tiktoken read.
    public func save(to folder: URL, scalarHead: ScalarHead? = nil) throws {
        try network.save(to: folder, scalarHead: scalarHead)
        if try tokenizer.saveIfExpressible(to: folder) != nil {
            // A pair left by an earlier save into this folder would describe another tokenizer,
            // which a reader of the two files alone would then take for this model's.
            for name in ["vocab.json", "merges.txt"] {
                let file = folder.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
            }
        }
        let token = { (id: Int32?) in id.flatMap { try? self.decode([$0]) } }
        try tokenizer.saveTokenizerJSON(to: folder, settings: TokenizerFolderSettings(
            bosToken: token((network as? Llama)?.configuration.beginningOfSequenceToken), eosToken: token(endOfText),
            padToken: token(endOfText), chatTemplate: chatTemplateSource ?? chatTemplate?.jinja))
    }

    /// Writes the adapters as a PEFT folder naming this model's source as its base (none for a
    /// model not read from files).
    public func saveAdapters(to folder: URL) throws {
        guard let adapters = network.adapters else {
            throw CheckpointError.invalidField(path: folder.path, field: "adapters", reason: "the model has none to save")
        }
        try adapters.save(to: folder, baseModel: source?.standardizedFileURL.path)
    }
}

extension LanguageModel {
    /// Writes what training changes: the adapter folder when the model has adapters (the base is
    /// not copied), else the whole checkpoint folder.
    public func saveTrained(to folder: URL) throws {
        if network.adapters != nil { try saveAdapters(to: folder) } else { try save(to: folder) }
    }

    /// Restores the values `saveTrained(to:)` wrote into this model's trainable parameters, from
    /// the previous folder where a save over `folder` was killed between the two renames of its
    /// swap (AtomicFolder.readable), as `load` does.
    public func restoreTrained(from folder: URL) throws {
        let folder = AtomicFolder.readable(folder)
        if let adapters = network.adapters {
            let saved = try LoRAAdapters.load(from: folder, candidates: network.adaptableLayers)
            try Self.copy(saved.parameters, into: adapters.parameters, from: folder)
        } else {
            let saved = try LanguageModel.loadFolder(folder, trainable: false)
            try Self.copy(saved.network.parameters, into: network.parameters, from: folder)
        }
    }

    /// `saved`'s values into `store`, tensor by tensor the same layout: a checkpoint of another
    /// shape (another LoRA rank, another model) is refused naming the first tensor that differs.
    private static func copy(_ saved: ParameterStore, into store: ParameterStore, from folder: URL) throws {
        let found = Dictionary(saved.layout.entries.map { ($0.name, $0.shape.dimensions) }, uniquingKeysWith: { first, _ in first })
        for entry in store.layout.entries {
            guard let shape = found[entry.name] else { throw CheckpointError.missingTensor(path: folder.path, tensor: entry.name) }
            guard shape == entry.shape.dimensions else {
                throw CheckpointError.shapeMismatch(path: folder.path, tensor: entry.name, expected: entry.shape.dimensions, found: shape)
            }
        }
        let wanted = Set(store.layout.entries.map(\.name))
        if let extra = saved.layout.entries.first(where: { !wanted.contains($0.name) }) {
            throw CheckpointError.invalidField(path: folder.path, field: extra.name, reason: "is a tensor this model does not have")
        }
        try store.copyValues(from: saved)
    }
}
