// The folder a training run owns: its resolved configuration, metrics.jsonl, numbered
// checkpoints (each written under a temporary name and renamed when complete, with a `latest`
// pointer), and the final model.
import AtomicFiles
import Checkpoints
import Foundation
import TextFiles

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
            throw CheckpointError.writeFailed(path: FileProblem.path(of: error) ?? checkpointsURL.path, reason: FileProblem.reason(error))
        }
    }

    /// Writes the final model through `write`, which fills the folder it is given, and swaps it in
    /// whole (AtomicFolder.replace): a process killed mid-save leaves model/ as it was or complete,
    /// never its first files alone, nor files of two saves side by side.
    public func writeModel(_ write: (URL) throws -> Void) throws {
        try AtomicFolder.replace(modelURL, with: write)
    }

    public func writeConfiguration(_ json: Data) throws {
        try AtomicFile.write(json, to: configurationURL)
    }

    package func checkpointURL(step: Int) -> URL {
        checkpointsURL.appendingPathComponent(String(format: "step-%06d", step))
    }

    /// The newest complete checkpoint, if any; `stateFile` names the file every checkpoint holds.
    /// A pointer that exists but cannot be read is an error: taking it for "no checkpoint" would
    /// start the run again from step 0 and clear its logs.
    public func latestCheckpoint(stateFile: String = RunFolder.stateFileName) throws -> URL? {
        let pointer = checkpointsURL.appendingPathComponent("latest")
        guard FileManager.default.fileExists(atPath: pointer.path) else { return nil }
        guard let name = try? String(contentsOf: pointer, encoding: .utf8) else {
            throw CheckpointError.unreadable(path: pointer.path, reason: "the pointer to the latest checkpoint is not readable text")
        }
        let folder = checkpointsURL.appendingPathComponent(name.trimmingCharacters(in: .whitespacesAndNewlines))
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(stateFile).path) else {
            throw CheckpointError.missingFile(path: folder.appendingPathComponent(stateFile).path)
        }
        return folder
    }

    /// Writes a checkpoint through `write` into a temporary folder, renames it into place, points
    /// `latest` at it and deletes the older checkpoints beyond the newest `kept`. Steps are
    /// compared as numbers (step-1000000 is newer than step-999999); a checkpoint of a later step,
    /// left by an attempt that died before pointing `latest` at it, belongs to no trajectory that
    /// will resume and goes too.
    package func commitCheckpoint(step: Int, kept: Int, write: (URL) throws -> Void) throws -> URL {
        let final = checkpointURL(step: step)
        let partial = checkpointsURL.appendingPathComponent(".\(final.lastPathComponent).partial")
        let manager = FileManager.default
        try? manager.removeItem(at: partial)
        do {
            try manager.createDirectory(at: partial, withIntermediateDirectories: true)
            try write(partial)
            AtomicFile.synchronizeFolder(partial)
            try? manager.removeItem(at: final)
            try manager.moveItem(at: partial, to: final)
            AtomicFile.synchronizeFolder(checkpointsURL)
        } catch {
            try? manager.removeItem(at: partial)
            throw error
        }
        try AtomicFile.write(Data(final.lastPathComponent.utf8), to: checkpointsURL.appendingPathComponent("latest"))
        let steps = (try manager.contentsOfDirectory(atPath: checkpointsURL.path)).compactMap { name in
            name.hasPrefix("step-") ? Int(name.dropFirst(5)) : nil
        }
        let stale = steps.filter { $0 > step } + steps.filter { $0 < step }.sorted().dropLast(max(kept - 1, 0))
        for other in stale { try? manager.removeItem(at: checkpointURL(step: other)) }
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
