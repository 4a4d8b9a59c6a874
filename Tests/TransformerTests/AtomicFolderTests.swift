// Replacing a folder whole (AtomicFolder.replace), on both ways of swapping it in (one exchange of
// names, and the two renames a file system without exchange gets): a writer that fails partway
// leaves the previous folder as it was and nothing beside it; a finished one leaves its own files
// alone; what stands in the way is refused by name.
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

    @Test(arguments: [true, false]) func aWriterFailingPartwayLeavesThePreviousFolder(exchanging: Bool) throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("model")
        let previous = ["config.json": "old config", "model.safetensors": "old weights", "vocab.json": "old vocabulary"]
        try AtomicFolder.replace(folder, exchanging: exchanging) { try write(previous, into: $0) }
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
        try AtomicFolder.replace(folder, exchanging: exchanging) { try write(next, into: $0) }
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
}
