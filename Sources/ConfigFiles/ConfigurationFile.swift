// Run configurations from JSON files: a file gives only the fields it changes, the rest keep
// their defaults, and a key the configuration does not have is an error that names it (a typo
// must not silently fall back to a default).
import Foundation

public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unknownKey(path: String, key: String, known: [String])
    case invalidValue(path: String, key: String, reason: String)
    /// The file reads, but the configuration it makes fails the command's checks.
    case rejected(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot be read as JSON (\(reason))"
        case let .unknownKey(path, key, known): return "\(path): unknown key \"\(key)\" (known keys: \(known.joined(separator: ", ")))"
        case let .invalidValue(path, key, reason): return "\(path): \(key.isEmpty ? "value" : "\"\(key)\"") \(reason)"
        case let .rejected(path, reason): return "\(path): \(reason)"
        }
    }
}

public enum ConfigurationFile {
    /// `defaults` with the fields of the JSON file at `url` laid over it, passed through `check`
    /// (the command's own validation), whose refusal then names the file.
    public static func load<T: Codable>(_ type: T.Type, from url: URL, defaults: T, check: (T) throws -> Void = { _ in }) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigurationError.unreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
        let configuration = try overlay(data, on: defaults, source: url.path)
        do { try check(configuration) } catch {
            throw ConfigurationError.rejected(path: url.path, reason: "\(error)")
        }
        return configuration
    }

    /// `defaults` with the fields of `json` laid over it; `source` names the origin in errors.
    public static func overlay<T: Codable>(_ json: Data, on defaults: T, source: String) throws -> T {
        let base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults))
        let patch: Any
        do { patch = try JSONSerialization.jsonObject(with: json) } catch {
            throw ConfigurationError.unreadable(path: source, reason: "\(error.localizedDescription)")
        }
        var unmatched: [(key: String, known: [String])] = []
        let merged = merge(patch, into: base, path: "", unmatched: &unmatched)
        let configuration: T
        do {
            configuration = try decode(T.self, merged)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            // A number that does not fit its field (3.5 steps, a negative seed) fails the whole
            // document with no path; the field is found by laying the file's values on one by one.
            let key = leaves(of: patch, path: "").first { leaf in
                var ignored: [(key: String, known: [String])] = []
                return (try? decode(T.self, merge(leaf.object, into: base, path: "", unmatched: &ignored))) == nil
            }?.key ?? ""
            throw ConfigurationError.invalidValue(path: source, key: key, reason: "has the wrong type or does not fit the field (a whole number, in range, where one is needed)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError.invalidValue(path: source, key: key, reason: "has the wrong type (\(context.debugDescription))")
        } catch let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError.invalidValue(path: source, key: key, reason: "is null where a value is needed")
        } catch let DecodingError.keyNotFound(missing, context) {
            // A setting whose default is none, given only in part.
            let key = (context.codingPath + [missing]).map(\.stringValue).joined(separator: ".")
            throw ConfigurationError.invalidValue(path: source, key: key, reason: "is missing: give it beside the other fields of its object")
        }
        // An optional field that defaults to nil has no key in the encoded defaults: a key they
        // lack is the configuration's only if it survives decoding and encoding again.
        if !unmatched.isEmpty {
            let resolved = try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration))
            for (key, known) in unmatched where value(at: key, in: resolved) == nil {
                // Inside such a field its keys are known only once it is resolved.
                let parent = key.split(separator: ".").dropLast().joined(separator: ".")
                let holder: Any? = parent.isEmpty ? resolved : value(at: parent, in: resolved)
                let resolvedKeys = (holder as? [String: Any])?.keys.sorted()
                throw ConfigurationError.unknownKey(path: source, key: key, known: known.isEmpty ? resolvedKeys ?? [] : known)
            }
        }
        return configuration
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ object: Any) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// Each value of `patch` that is not an object, with its dotted key and as a patch of its own.
    private static func leaves(of patch: Any, path: String) -> [(key: String, object: Any)] {
        guard let object = patch as? [String: Any] else { return [(path, patch)] }
        return object.keys.sorted().flatMap { key in
            leaves(of: object[key]!, path: path.isEmpty ? key : path + "." + key).map { leaf in (leaf.key, [key: leaf.object] as Any) }
        }
    }

    /// The value at a dotted key path of nested JSON objects.
    private static func value(at keyPath: String, in object: Any) -> Any? {
        keyPath.split(separator: ".").reduce(Optional(object)) { node, key in (node as? [String: Any])?[String(key)] }
    }

    /// The resolved configuration as pretty JSON, for `<run>/config.json`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }

    /// `patch` laid over `base`; the key paths `base` lacks are collected in `unmatched`.
    private static func merge(_ patch: Any, into base: Any, path: String, unmatched: inout [(key: String, known: [String])]) -> Any {
        guard let patchObject = patch as? [String: Any], var baseObject = base as? [String: Any] else { return patch }
        for (key, value) in patchObject.sorted(by: { $0.key < $1.key }) {
            let keyPath = path.isEmpty ? key : path + "." + key
            if let existing = baseObject[key] {
                baseObject[key] = merge(value, into: existing, path: keyPath, unmatched: &unmatched)
            } else {
                unmatched.append((keyPath, baseObject.keys.sorted()))
                // Its own keys are checked the same way, so a typo inside it is caught too.
                baseObject[key] = merge(value, into: [String: Any](), path: keyPath, unmatched: &unmatched)
            }
        }
        return baseObject
    }
}
