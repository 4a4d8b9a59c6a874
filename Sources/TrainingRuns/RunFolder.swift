// The folder a training run owns: its resolved configuration, metrics.jsonl, numbered
// checkpoints (each written under a temporary name and renamed when complete, with a `latest`
// pointer), and the final model.
import AtomicFiles
import Checkpoints
import Foundation

public struct RunFolder: Sendable {
    public let url: URL

    public init(_ url: URL) {
        self.url = url
    }

    public var configurationURL: URL { url.appendingPathComponent("config.json") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var checkpointsURL: URL { url.appendingPathComponent("checkpoints") }
    /// The final model, a checkpoint folder other commands take as --model.
    public var modelURL: URL { url.appendingPathComponent("model") }
    public static let stateFileName = "training-state.bin"

    public func prepare() throws {
        do {
            try FileManager.default.createDirectory(at: checkpointsURL, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.writeFailed(path: checkpointsURL.path, reason: "\(error.localizedDescription)")
        }
    }

    public func writeConfiguration(_ json: Data) throws {
        try AtomicFile.write(json, to: configurationURL)
    }

    package func checkpointURL(step: Int) -> URL {
        checkpointsURL.appendingPathComponent(String(format: "step-%06d", step))
    }

    /// The newest complete checkpoint, if any; `stateFile` names the file every checkpoint holds.
    public func latestCheckpoint(stateFile: String = RunFolder.stateFileName) throws -> URL? {
        let pointer = checkpointsURL.appendingPathComponent("latest")
        guard let name = try? String(contentsOf: pointer, encoding: .utf8) else { return nil }
        let folder = checkpointsURL.appendingPathComponent(name.trimmingCharacters(in: .whitespacesAndNewlines))
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(stateFile).path) else {
            throw CheckpointError.missingFile(path: folder.appendingPathComponent(stateFile).path)
        }
        return folder
    }

    /// Writes a checkpoint through `write` into a temporary folder, renames it into place, points
    /// `latest` at it and deletes all but the newest `kept` checkpoints.
    package func commitCheckpoint(step: Int, kept: Int, write: (URL) throws -> Void) throws -> URL {
        let final = checkpointURL(step: step)
        let partial = checkpointsURL.appendingPathComponent(".\(final.lastPathComponent).partial")
        let manager = FileManager.default
        try? manager.removeItem(at: partial)
        do {
            try manager.createDirectory(at: partial, withIntermediateDirectories: true)
            try write(partial)
            try? manager.removeItem(at: final)
            try manager.moveItem(at: partial, to: final)
        } catch {
            try? manager.removeItem(at: partial)
            throw error
        }
        try AtomicFile.write(Data(final.lastPathComponent.utf8), to: checkpointsURL.appendingPathComponent("latest"))
        let older = (try manager.contentsOfDirectory(atPath: checkpointsURL.path)).filter { $0.hasPrefix("step-") }.sorted().dropLast(kept)
        for name in older { try? manager.removeItem(at: checkpointsURL.appendingPathComponent(name)) }
        return final
    }

    /// Drops records logged after `step` (by an interrupted run that got further than its last
    /// checkpoint), so a resumed run's log has each step once. `key` names the step field;
    /// `file` defaults to metrics.jsonl.
    package func trimMetrics(after step: Int, key: String = "step", file: URL? = nil) throws {
        let url = file ?? metricsURL
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let text = try String(contentsOf: url, encoding: .utf8)
        let kept = text.split(separator: "\n").filter { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let recorded = object[key] as? Int else { return true }
            return recorded <= step
        }
        try AtomicFile.write(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: url)
    }
}
