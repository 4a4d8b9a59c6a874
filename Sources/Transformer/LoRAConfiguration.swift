// The settings of low-rank adapters (Hu et al., 2021) as PEFT's LoraConfig names them, and the
// adapter_config.json that PEFT reads.
import Checkpoints
import Foundation

public struct LoRAConfiguration: Codable, Sendable, Equatable {
    /// Rank r of each update B·A.
    public var rank: Int = 8
    /// The update is scaled by alpha / r (alpha / √r with rank-stabilised LoRA).
    public var alpha: Float = 16
    /// Dropout on the adapter's input during training.
    public var dropout: Float = 0
    /// The modules that get adapters, as PEFT's target_modules list: a module's whole path or
    /// its last components (`q_proj`, `self_attn.q_proj`; see `LoRAModuleSelection.swift`).
    public var targetModules: [String] = LoRAConfiguration.llamaModules
    public var rankStabilized = false
    /// Targeted modules that get no adapter (PEFT's exclude_modules); nil excludes none.
    public var excludedModules: LoRAModuleExclusion?

    /// Every linear layer of a Llama block.
    public static let llamaModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    /// Every linear layer of a GPT-2 block (c_proj names both the attention output and the MLP's contraction).
    public static let gptModules = ["c_attn", "c_proj", "c_fc"]

    public init(
        rank: Int = 8, alpha: Float = 16, dropout: Float = 0, targetModules: [String] = LoRAConfiguration.llamaModules, rankStabilized: Bool = false,
        excludedModules: LoRAModuleExclusion? = nil
    ) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.rankStabilized = rankStabilized
        self.excludedModules = excludedModules
    }

    /// Fields a file leaves out keep their defaults, so a run's configuration may give only
    /// `"lora": {"rank": 4}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = LoRAConfiguration()
        self.init(
            rank: try container.decodeIfPresent(Int.self, forKey: .rank) ?? defaults.rank,
            alpha: try container.decodeIfPresent(Float.self, forKey: .alpha) ?? defaults.alpha,
            dropout: try container.decodeIfPresent(Float.self, forKey: .dropout) ?? defaults.dropout,
            targetModules: try container.decodeIfPresent([String].self, forKey: .targetModules) ?? defaults.targetModules,
            rankStabilized: try container.decodeIfPresent(Bool.self, forKey: .rankStabilized) ?? defaults.rankStabilized,
            excludedModules: try container.decodeIfPresent(LoRAModuleExclusion.self, forKey: .excludedModules))
    }

    public var scale: Float { rankStabilized ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// How an error names a field: as PEFT's adapter_config.json does, or as a run's
    /// configuration file does (this type's own coding keys).
    public enum FieldNames: Sendable {
        case peft, configuration
    }

    public func validate(source: String = "LoRA configuration", names: FieldNames = .configuration) throws {
        func check(_ ok: Bool, _ peft: String, _ key: CodingKeys, _ reason: String) throws {
            if !ok { throw CheckpointError.invalidField(path: source, field: names == .peft ? peft : key.stringValue, reason: reason) }
        }
        // A low rank is the point of an adapter; the bound keeps a mistyped one from sizing an allocation.
        try check((1...ModelSizeLimits.width).contains(rank), "r", .rank, "is \(rank); must be between 1 and \(ModelSizeLimits.width)")
        try check(alpha > 0 && alpha.isFinite, "lora_alpha", .alpha, "is \(alpha); must be positive")
        try check(dropout >= 0 && dropout < 1, "lora_dropout", .dropout, "is \(dropout); must be in [0, 1)")
        try check(!targetModules.isEmpty, "target_modules", .targetModules, "is empty")
        if let problem = excludedModules?.problem { try check(false, "exclude_modules", .excludedModules, problem) }
    }
}

// MARK: adapter_config.json

extension LoRAConfiguration {
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"

    /// PEFT's adapter_config.json for a causal LM. `fanInFanOut` is true for GPT-2, whose Conv1D
    /// weights are [in, out]. Without a `baseModel` the field is null, as PEFT writes it for a base
    /// it has no name for.
    public func peftConfig(baseModel: String?, fanInFanOut: Bool) -> [String: Any] {
        var config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": Double(alpha),
            "lora_dropout": Double(dropout), "target_modules": targetModules.sorted(), "bias": "none",
            "fan_in_fan_out": fanInFanOut, "use_rslora": rankStabilized, "inference_mode": true,
            "init_lora_weights": true, "base_model_name_or_path": baseModel.map { $0 as Any } ?? NSNull(), "modules_to_save": NSNull(),
            "use_dora": false, "layers_to_transform": NSNull(), "revision": NSNull(),
        ]
        if let excludedModules { config["exclude_modules"] = excludedModules.peftValue }
        return config
    }

    /// Reads PEFT's adapter_config.json; settings this engine cannot honour are refused by name.
    public init(peftConfig url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.malformed(path: url.path, reason: "not a JSON object")
        }
        func refuse(_ field: String, _ reason: String) -> CheckpointError { .invalidField(path: url.path, field: field, reason: reason) }
        if let type = json["peft_type"] as? String, type != "LORA" { throw refuse("peft_type", "is \"\(type)\"; only LORA adapters are read") }
        guard let rank = json["r"] as? Int else { throw refuse("r", "is missing or not an integer") }
        guard let alpha = (json["lora_alpha"] as? NSNumber)?.floatValue else { throw refuse("lora_alpha", "is missing or not a number") }
        let modules: [String]
        if let list = json["target_modules"] as? [String] {
            modules = list
        } else if let single = json["target_modules"] as? String {
            throw refuse("target_modules", "is the pattern \"\(single)\"; give a list of module names")
        } else {
            throw refuse("target_modules", "is missing")
        }
        if let bias = json["bias"] as? String, bias != "none" { throw refuse("bias", "is \"\(bias)\"; only \"none\" is supported") }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let pattern = json[key] as? [String: Any], !pattern.isEmpty { throw refuse(key, "is set; one rank and alpha for every layer are supported") }
        }
        if json["lora_bias"] as? Bool == true { throw refuse("lora_bias", "is true; adapters without biases are supported") }
        if json["use_dora"] as? Bool == true { throw refuse("use_dora", "is true; DoRA is not supported") }
        if let layers = json["layers_to_transform"], !(layers is NSNull) { throw refuse("layers_to_transform", "is set; adapters on every layer are supported") }
        if let saved = json["modules_to_save"], !(saved is NSNull) { throw refuse("modules_to_save", "is set; fully trained extra modules are not supported") }
        // PEFT puts target_parameters' adapters on bare parameters (an MoE's expert tensors), not
        // modules, and applies an aLoRA adapter only from its invocation tokens on: read as a plain
        // adapter, either would run another model than the one it was trained as.
        if let parameters = json["target_parameters"], !(parameters is NSNull), (parameters as? [Any])?.isEmpty != true {
            throw refuse("target_parameters", "is set; adapters on parameters rather than modules are not supported")
        }
        if let tokens = json["alora_invocation_tokens"], !(tokens is NSNull) {
            throw refuse("alora_invocation_tokens", "is set; activated LoRA (adapters switched on by invocation tokens) is not supported")
        }
        var excluded: LoRAModuleExclusion?
        if let value = json["exclude_modules"], !(value is NSNull) {
            guard let exclusion = LoRAModuleExclusion(peftValue: value) else {
                throw refuse("exclude_modules", "must be a pattern (a string) or a list of module names")
            }
            excluded = exclusion
        }
        self.init(
            rank: rank, alpha: alpha, dropout: (json["lora_dropout"] as? NSNumber)?.floatValue ?? 0,
            targetModules: modules, rankStabilized: json["use_rslora"] as? Bool ?? false, excludedModules: excluded)
        try validate(source: url.path, names: .peft)
    }
}
