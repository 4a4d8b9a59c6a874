// A full disk in the middle of a run: the file-size limit (`ulimit -f`, with SIGXFSZ ignored so
// writes fail with EFBIG as on a full file system) lets metrics through but not a checkpoint.
// The run must stop with an error naming the file, leave the previous checkpoint and model
// byte for byte as they were, and continue from them once there is room.
import Foundation
import Testing

@Suite struct FullDiskTests {
    /// Enough for the logs, not for the tiny GPT's 150 KB of weights.
    static let limitKilobytes = 100

    @Test func aCheckpointThatDoesNotFitLeavesThePreviousOneAndTheRunContinuesLater() throws {
        let workspace = try CrashWorkspace.shared.get()
        let run = workspace.url("full-disk-\(UUID().uuidString)")
        let arguments = CrashJob.pretrain.arguments(in: workspace, run: run)
        let first = try Self.rlhf(arguments + ["--steps", "6"])
        #expect(first.status == 0, "the run with room failed: \(first.output)")
        let before = try Self.snapshot(run, ["checkpoints/latest", "checkpoints/step-000006", "model"])

        let full = try Self.rlhf(arguments + ["--steps", "24", "--resume"], limitKilobytes: Self.limitKilobytes)
        #expect(full.status != 0, "the run went on although its checkpoint could not be written")
        #expect(full.output.contains("checkpoints/.step-000009.partial") && full.output.contains("File too large"),
                "the error names the file and the cause: \(full.output)")
        #expect(try Self.snapshot(run, ["checkpoints/latest", "checkpoints/step-000006", "model"]) == before,
                "the previous checkpoint and model changed")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path).sorted()
        #expect(leftovers == ["latest", "step-000003", "step-000006"], "the failed write left \(leftovers)")

        let resumed = try Self.rlhf(arguments + ["--steps", "24", "--resume"])
        #expect(resumed.status == 0, "the run could not continue once there was room: \(resumed.output)")
        #expect(DataParallelTests.losses(in: run, job: .pretrain).keys.sorted() == Array(1...24), "the log holds each step once")
    }

    /// A second export of another model over the first: a partial write would mix the two.
    @Test func anExportThatDoesNotFitLeavesThePreviousExport() throws {
        let workspace = try CrashWorkspace.shared.get()
        let output = workspace.url("full-disk-export-\(UUID().uuidString)")
        let export = { (model: String) in ["export", "--model", workspace.path(model), "--output", output.path] }
        let first = try Self.rlhf(export("gpt"))
        #expect(first.status == 0, "the export with room failed: \(first.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        let before = try Self.snapshot(output, names)

        let full = try Self.rlhf(export("reward/model"), limitKilobytes: Self.limitKilobytes)
        #expect(full.status != 0 && full.output.contains("File too large"), "the export did not report the full disk: \(full.output)")
        #expect(try Self.snapshot(output, names) == before, "the previous export changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == names, "the failed export left files behind")
    }

    /// The export replaces its folder whole, so it refuses one holding files it would not write
    /// again, and leaves them; over an earlier export it succeeds and leaves no sibling behind.
    @Test func anExportRefusesAFolderOfOtherFilesAndReplacesAnEarlierExport() throws {
        let workspace = try CrashWorkspace.shared.get()
        let output = workspace.url("export-over-\(UUID().uuidString)")
        let manager = FileManager.default
        try manager.createDirectory(at: output, withIntermediateDirectories: true)
        let card = output.appendingPathComponent("README.md")
        try Data("my notes\n".utf8).write(to: card)
        let export = ["export", "--model", workspace.path("gpt"), "--output", output.path]
        let refused = try Self.rlhf(export)
        #expect(refused.status == 64 && refused.output.contains("holds README.md, which the export would not write again"), "\(refused.output)")
        #expect(try manager.contentsOfDirectory(atPath: output.path) == ["README.md"], "the refused export changed the folder")
        #expect(try Data(contentsOf: card) == Data("my notes\n".utf8))

        try manager.removeItem(at: card)
        for attempt in 1...2 {
            let run = try Self.rlhf(export)
            #expect(run.status == 0, "export \(attempt) failed: \(run.output)")
        }
        #expect(manager.fileExists(atPath: output.appendingPathComponent("model.safetensors").path))
        let siblings = try manager.contentsOfDirectory(atPath: output.deletingLastPathComponent().path).filter { $0.contains(output.lastPathComponent) }
        #expect(siblings == [output.lastPathComponent], "left beside the export: \(siblings)")
    }

    /// Every file under `paths` (files or folders) of `folder`, by relative path.
    static func snapshot(_ folder: URL, _ paths: [String]) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in paths {
            let url = folder.appendingPathComponent(path)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { continue }
            let names = isFolder.boolValue ? try FileManager.default.subpathsOfDirectory(atPath: url.path).map { "\(path)/\($0)" } : [path]
            for name in names {
                let file = folder.appendingPathComponent(name)
                var inner: ObjCBool = false
                if FileManager.default.fileExists(atPath: file.path, isDirectory: &inner), !inner.boolValue { files[name] = try Data(contentsOf: file) }
            }
        }
        return files
    }

    /// Runs rlhf through bash, under a file-size limit when given; returns the exit status and
    /// everything it printed.
    static func rlhf(_ arguments: [String], limitKilobytes: Int? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let limit = limitKilobytes.map { "trap '' XFSZ; ulimit -f \($0); " } ?? ""
        process.arguments = ["-c", limit + "exec \"$0\" \"$@\"", try rlhfExecutable().path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
