// Replacing a folder whole (AtomicFolder.replace), on both ways of swapping it in (one exchange of
// names, and the two renames a file system without exchange gets): a writer that fails partway
// leaves the previous folder as it was and nothing beside it; a finished one leaves its own files
// alone; what stands in the way is refused by name, and paths inside the staging folder are
// named by their place in the folder asked for.
@testable import AtomicFiles
import Foundation
import Testing

@Suite struct AtomicFolderTests {
    struct WriterFailed: Error {}

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-atomic-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func contents(_ folder: URL) throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) })
    }

    func write(_ files: [String: String], into folder: URL) throws {
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
    }

    /// Whether the file system under `folder` is one known to exchange two names in one step
    /// (ext4, tmpfs, XFS, Btrfs), where the exchange must not quietly fall back on two renames.
    /// The mount is looked up in /proc/mounts, as Swift's Glibc leaves statfs out.
    func exchangeIsExpected(in folder: URL) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return false }
        let path = folder.resolvingSymlinksInPath().path
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1], inside = point == "/" || path == point || path.hasPrefix(point + "/")
            if inside, point.count > (best?.point.count ?? -1) { best = (point, fields[2]) }
        }
        return ["ext4", "tmpfs", "xfs", "btrfs"].contains(best?.type ?? "")
    }

    @Test(arguments: [true, false]) func aWriterFailingPartwayLeavesThePreviousFolder(exchanging: Bool) throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("model")
        let previous = ["config.json": "old config", "model.safetensors": "old weights", "vocab.json": "old vocabulary"]
        #expect(try AtomicFolder.replace(folder, exchanging: exchanging) { try write(previous, into: $0) } == .created)
        #expect(try contents(folder) == previous)

        #expect(throws: WriterFailed.self) {
            try AtomicFolder.replace(folder, exchanging: exchanging) { staging in
                try write(["config.json": "new config", "model.safetensors": "new weights"], into: staging)
                throw WriterFailed()
            }
        }
        #expect(try contents(folder) == previous, "the failed save changed the previous folder")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"], "the failed save left temporaries")

        let next = ["config.json": "new config", "model.safetensors": "new weights"]
        let swap = try AtomicFolder.replace(folder, exchanging: exchanging) { try write(next, into: $0) }
        if !exchanging {
            #expect(swap == .renamedTwice)
        } else if exchangeIsExpected(in: root) {
            #expect(swap == .exchanged, "\(root.path) is on a file system with RENAME_EXCHANGE, yet the save fell back on two renames")
        }
        #expect(try contents(folder) == next, "files of the previous folder stayed beside the new one")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"], "the save left temporaries")
    }

    /// A file where the folder should be is not deleted for a folder, nor written over.
    @Test func aFileInThePlaceOfTheFolderIsRefusedByName() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("model")
        try Data("notes".utf8).write(to: file)
        #expect(throws: FileWriteError(path: file.path, reason: "a file is there, not a folder")) {
            try AtomicFolder.replace(file) { try write(["config.json": "{}"], into: $0) }
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "notes")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
    }

    /// A folder missing while its previous version is set aside (a save killed between the two
    /// renames) is read there, and put back by the next save before it writes.
    @Test func aFolderSetAsideIsReadAndPutBack() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("model"), setAside = AtomicFolder.setAsideURL(of: folder)
        #expect(setAside.lastPathComponent == ".model.old" && AtomicFolder.stagingURL(of: folder).lastPathComponent == ".model.partial")
        #expect(AtomicFolder.readable(folder).path == folder.path)
        try FileManager.default.createDirectory(at: setAside, withIntermediateDirectories: true)
        try write(["config.json": "old config"], into: setAside)
        #expect(AtomicFolder.readable(folder).path == setAside.path)
        #expect(throws: WriterFailed.self) { try AtomicFolder.replace(folder) { _ in throw WriterFailed() } }
        #expect(try contents(folder) == ["config.json": "old config"], "the failed save did not put the previous folder back")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
    }

    /// A file the writer cannot write is named in the folder asked for, not in `.model.partial`,
    /// whether the error is the package's own or Foundation's.
    @Test func aWritersFailureNamesThePathInTheFolderAskedFor() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("model")
        let atomic = #expect(throws: FileWriteError.self) {
            try AtomicFolder.replace(folder) { try AtomicFile.write(Data(), to: $0.appendingPathComponent("tokenizer/vocab.json")) }
        }
        #expect(atomic?.path == folder.appendingPathComponent("tokenizer/vocab.json").path)
        #expect(atomic?.reason.hasSuffix("while it was being written as .model.partial") == true, "\(String(describing: atomic))")
        #expect(atomic?.reason.contains("/.model.partial") == false, "\(String(describing: atomic))")
        let foundation = #expect(throws: FileWriteError.self) {
            try AtomicFolder.replace(folder) { try Data().write(to: $0.appendingPathComponent("missing/config.json")) }
        }
        #expect(foundation?.path == folder.appendingPathComponent("missing/config.json").path, "\(String(describing: foundation))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == [])
    }

    /// A new folder whose files cannot be listed cannot be flushed, so it is not swapped in.
    @Test func aFolderThatCannotBeListedIsNotSwappedIn() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("model")
        #expect(throws: FileWriteError(path: folder.path, reason: "its files cannot be listed to flush them, while it was being written as .model.partial")) {
            try AtomicFolder.replace(folder) { try FileManager.default.removeItem(at: $0) }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    /// A symbolic link where the folder should be is replaced by a real folder, on both ways of
    /// swapping; the folder it named keeps its files.
    @Test(arguments: [true, false]) func aLinkToAFolderIsReplacedByAFolder(exchanging: Bool) throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let target = root.appendingPathComponent("elsewhere"), link = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try write(["config.json": "linked config"], into: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        try AtomicFolder.replace(link, exchanging: exchanging) { try write(["config.json": "new config"], into: $0) }
        #expect(try FileManager.default.attributesOfItem(atPath: link.path)[.type] as? FileAttributeType == .typeDirectory, "the link is still there")
        #expect(try contents(link) == ["config.json": "new config"])
        #expect(try contents(target) == ["config.json": "linked config"], "the folder the link named changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["elsewhere", "model"])
    }
}
