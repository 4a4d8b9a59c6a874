// Which modules get adapters, matched as PEFT matches them (peft/tuners/tuners_utils.py,
// check_target_module_exists), so an adapter_config.json written for PEFT adapts the same layers
// here: a list entry names a module by its whole path or by the path's last components
// ("q_proj", "self_attn.q_proj"); exclude_modules, a list alike or one regular expression that
// must match the whole path, keeps modules free of adapters even when targeted.
import Foundation

/// Modules kept free of adapters, as PEFT's `exclude_modules`.
public enum LoRAModuleExclusion: Codable, Sendable, Equatable {
    /// Module names, matched as `target_modules` entries are.
    case names([String])
    /// A regular expression that a module's whole path must match (Python's `re.fullmatch`; ICU's
    /// syntax, which agrees with Python's for the patterns module paths need).
    case pattern(String)

    /// A test of module paths, the pattern compiled once for all of a model's layers.
    func matcher() throws -> (String) -> Bool {
        switch self {
        case let .names(names):
            return { LoRAConfiguration.names(names, match: $0) }
        case let .pattern(pattern):
            // The pattern alone must compile, so that wrapping it cannot mend an unbalanced one.
            _ = try NSRegularExpression(pattern: pattern)
            let whole = try NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z")
            return { path in whole.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil }
        }
    }

    /// Why the exclusion cannot be used, or nil.
    var problem: String? {
        guard case let .pattern(pattern) = self else { return nil }
        do {
            _ = try matcher()
            return nil
        } catch {
            return "is the pattern \"\(pattern)\", which is not a regular expression this engine reads"
        }
    }

    /// As PEFT writes it: a list of names or the pattern.
    var peftValue: Any {
        switch self {
        case let .names(names): return names.sorted()
        case let .pattern(pattern): return pattern
        }
    }

    /// Read from PEFT's field: a string is a pattern, a list of strings names.
    init?(peftValue value: Any) {
        if let pattern = value as? String {
            self = .pattern(pattern)
        } else if let names = value as? [String] {
            self = .names(names)
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let pattern = try? container.decode(String.self) {
            self = .pattern(pattern)
        } else {
            self = .names(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .names(names): try container.encode(names)
        case let .pattern(pattern): try container.encode(pattern)
        }
    }
}

extension LoRAConfiguration {
    /// Whether a `target_modules` list (or an `exclude_modules` list) names the module at `path`:
    /// the whole path, or its last components after a dot.
    static func names(_ names: [String], match path: String) -> Bool {
        names.contains { path == $0 || path.hasSuffix("." + $0) }
    }

    /// Whether the module at `path` is targeted, before any exclusion.
    public func targets(_ path: String) -> Bool {
        Self.names(targetModules, match: path)
    }
}
