// A pipeline's run folder keeps the configuration it was started with in config.json, so that a
// resumed run cannot mix stages made under different settings.
import ConfigFiles
import Foundation
import Pipeline

enum RunFolderConfiguration {
    /// The preset with --config laid over it and passed through `check` (an error then names the
    /// file), checked against (or written to) the folder's config.json. Nothing is written for a
    /// configuration `check` refuses, so the corrected one is not taken for a change of settings.
    static func prepare<Configuration: Codable>(
        _ folder: URL, config: String?, _ preset: Configuration, check: (Configuration) throws -> Void
    ) throws -> Configuration {
        var configuration = preset
        if let config {
            configuration = try ConfigurationFile.load(Configuration.self, from: URL(fileURLWithPath: config), defaults: configuration, check: check)
        } else {
            try check(configuration)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configURL = folder.appendingPathComponent("config.json")
        let encoded = try ConfigurationFile.encode(configuration)
        if let stored = try? Data(contentsOf: configURL) {
            let changed = try Self.changedFields(completed(stored, defaults: preset, source: configURL.path), encoded)
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

    /// A stored configuration with the settings added since it was written filled in from
    /// `defaults`: they default to the earlier behaviour, so they read as unchanged rather than as
    /// changes that would refuse the folder.
    static func completed<Configuration: Codable>(_ stored: Data, defaults: Configuration, source: String) -> Data {
        (try? ConfigurationFile.encode(ConfigurationFile.overlay(stored, on: defaults, source: source))) ?? stored
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
