// The files and command-line choices a run was started from, beside the configuration its
// config.json records. A run resumed with another reward model, prompt file or base model would
// continue as neither run, and nothing in its folder would say so: the record is kept in
// inputs.json and a resumed run must match it.
import AtomicFiles
import Foundation
import StableHashing
import TextFiles

public struct RunInputs: Equatable, Sendable {
    /// Each input's value under the option that gives it ("--reward-model"); paths are absolute.
    public private(set) var values: [String: String] = [:]

    public init() {}

    /// Records `value` under `option`; nil records nothing, so an option left out reads as "none".
    public mutating func record(_ option: String, _ value: String?) {
        values[option] = value
    }

    /// Records a file or folder by its absolute, symlink-free path, so the same file named from
    /// another working directory is the same input.
    public mutating func recordPath(_ option: String, _ path: String?) {
        values[option] = path.map(Self.canonicalPath)
    }

    /// Records a repeatable option's paths, in the order given (the order can change a run).
    public mutating func recordPaths(_ option: String, _ paths: [String]) {
        values[option] = paths.isEmpty ? nil : paths.map(Self.canonicalPath).joined(separator: "\n")
    }

    /// Records a digest of what the run reads: its token sequences, each with its length (so
    /// sequences cannot run into each other), and `numbers` beside them. A prompt file edited
    /// under the same name, or a store that gained judgments, reads as another input.
    public mutating func recordDigest(_ name: String, sequences: [[Int32]], numbers: [Double] = []) {
        var hash = StableHash()
        for sequence in sequences {
            hash.combine(Int32(truncatingIfNeeded: sequence.count))
            hash.combine(tokens: sequence)
        }
        for number in numbers {
            hash.combine(bytes: withUnsafeBytes(of: number.bitPattern.littleEndian) { Array($0) })
        }
        values[name] = hash.hexadecimal
    }

    /// Records a model by its path (as `recordPath`) and by a digest of the bytes it is read
    /// from, under "content of OPTION": a file's, or those of the files directly in a folder,
    /// each with its name, so a model saved again at the same path reads as another input. The
    /// bytes are read where loading reads (AtomicFolder.readable).
    public mutating func recordModel(_ option: String, _ path: String?) throws {
        recordPath(option, path)
        try recordContent(option, path)
    }

    private mutating func recordContent(_ option: String, _ path: String?) throws {
        guard let path else { return }
        let url = AtomicFolder.readable(URL(fileURLWithPath: path))
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: url.path, isDirectory: &isFolder) else { return }
        var hash = StableHash()
        let files = isFolder.boolValue
            ? try manager.contentsOfDirectory(atPath: url.path).sorted().map { url.appendingPathComponent($0) }.filter {
                (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
            }
            : [url]
        for file in files {
            hash.combine(bytes: file.lastPathComponent.utf8)
            // Mapped, not read: a model's weights are hundreds of megabytes.
            let data = try Data(contentsOf: file, options: .alwaysMapped)
            hash.combine(Int32(truncatingIfNeeded: data.count))
            data.withUnsafeBytes { hash.combine(bytes: $0) }
        }
        values[Self.contentKey(option)] = hash.hexadecimal
    }

    /// "--reward-model was A, now B" for every input that differs from `recorded`. A record kept
    /// before models' contents were recorded has their paths only, and the paths decide; one kept
    /// before the base of an adapter folder was recorded has the folder's path and content.
    public func differences(from recorded: RunInputs) -> [String] {
        let predatesModelContents = !recorded.values.keys.contains(where: Self.isModelContentKey)
        return Set(values.keys).union(recorded.values.keys).sorted().compactMap { option in
            let before = recorded.values[option], now = values[option]
            let unrecordedThen = before == nil && (Self.isBaseKey(option) || predatesModelContents && Self.isModelContentKey(option))
            guard before != now, !unrecordedThen else { return nil }
            return "\(option) was \(Self.shown(before)), now \(Self.shown(now))"
        }
    }

    private static let contentPrefix = "content of ", basePrefix = "base of "
    /// The options whose contents `recordModel` digests; the others' digests came first.
    private static let modelOptions: Set<String> = ["--model", "--adapter", "--reward-model", "--value-model", "--critic"]

    static func contentKey(_ option: String) -> String { contentPrefix + option }

    /// The key of the base model that the adapter folder given as `option` names.
    public static func baseKey(_ option: String) -> String { basePrefix + option }

    private static func isModelContentKey(_ key: String) -> Bool {
        let option = key.hasPrefix(contentPrefix) ? String(key.dropFirst(contentPrefix.count)) : ""
        return modelOptions.contains(option) || isBaseKey(option)
    }

    private static func isBaseKey(_ key: String) -> Bool {
        let key = key.hasPrefix(contentPrefix) ? String(key.dropFirst(contentPrefix.count)) : key
        return key.hasPrefix(basePrefix) && modelOptions.contains(String(key.dropFirst(basePrefix.count)))
    }

    static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    private static func shown(_ value: String?) -> String {
        value.map { $0.replacingOccurrences(of: "\n", with: ", ") } ?? "not given"
    }
}

extension RunInputs: Codable {
    public init(from decoder: any Decoder) throws {
        values = try [String: String](from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try values.encode(to: encoder)
    }
}

public enum RunInputsError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case changed(path: String, differences: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path) is not a record of the run's inputs (\(reason)); remove it to record this run's"
        case let .changed(path, differences):
            "\(path) records the inputs the run started from, and \(differences.joined(separator: "; ")): "
                + "resume with the run's own, or give another --output (to continue this run from the new inputs on purpose, "
                + "remove \(path) first: the resumed run records them)"
        }
    }
}

extension RunFolder {
    public var inputsURL: URL { url.appendingPathComponent("inputs.json") }

    /// The inputs recorded when the run started; nil for a folder made before the record existed.
    /// A record that is there but cannot be read is an error: taking it for none would accept any
    /// inputs and overwrite it.
    public func recordedInputs() throws -> RunInputs? {
        guard FileManager.default.fileExists(atPath: inputsURL.path) else { return nil }
        do {
            return try JSONDecoder().decode(RunInputs.self, from: Data(contentsOf: inputsURL))
        } catch {
            throw RunInputsError.unreadable(path: inputsURL.path, reason: FileProblem.reason(error))
        }
    }

    /// Refuses `inputs` when the folder records others.
    public func checkInputs(_ inputs: RunInputs) throws {
        guard let recorded = try recordedInputs() else { return }
        let differences = inputs.differences(from: recorded)
        guard differences.isEmpty else { throw RunInputsError.changed(path: inputsURL.path, differences: differences) }
    }

    public func writeInputs(_ inputs: RunInputs) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(inputs), to: inputsURL)
    }
}
