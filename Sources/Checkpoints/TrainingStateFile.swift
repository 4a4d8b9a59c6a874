// The resumable part of a training run beside a checkpoint: the trainer's progress (step,
// data cursor, random generator, ...) as JSON and the optimizer's moments as raw floats, behind a
// magic number and a version so a foreign or older file is refused by name.
import AtomicFiles
import Foundation

public enum TrainingStateFile {
    static let magic = Array("RLHFTRN\u{0}".utf8)
    static let version: UInt32 = 1

    /// Writes `progress` and the two moment buffers atomically.
    public static func write<Progress: Encodable>(
        progress: Progress, firstMoments: UnsafeBufferPointer<Float>, secondMoments: UnsafeBufferPointer<Float>, to url: URL
    ) throws {
        precondition(firstMoments.count == secondMoments.count, "moment buffers of different sizes")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(progress)
        try AtomicFile.write(to: url) { handle in
            var header = Data(magic)
            withUnsafeBytes(of: version.littleEndian) { header.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
            header.append(json)
            withUnsafeBytes(of: UInt64(firstMoments.count).littleEndian) { header.append(contentsOf: $0) }
            try handle.write(contentsOf: header)
            try handle.write(contentsOf: Data(buffer: firstMoments))
            try handle.write(contentsOf: Data(buffer: secondMoments))
        }
    }

    /// Reads a file written by `write`.
    public static func read<Progress: Decodable>(_ type: Progress.Type, from url: URL) throws -> (progress: Progress, firstMoments: [Float], secondMoments: [Float]) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        var cursor = 0
        func take(_ count: Int, _ what: String) throws -> Data {
            guard count <= data.count - cursor else {
                throw CheckpointError.malformed(path: url.path, reason: "truncated in the \(what)")
            }
            defer { cursor += count }
            return data.subdata(in: cursor..<(cursor + count))
        }
        func integer<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
            T(littleEndian: try take(MemoryLayout<T>.size, what).withUnsafeBytes { $0.loadUnaligned(as: T.self) })
        }
        guard Array(try take(magic.count, "magic number")) == magic else {
            throw CheckpointError.malformed(path: url.path, reason: "not a training-state file (bad magic number)")
        }
        let fileVersion = try integer(UInt32.self, "version")
        guard fileVersion == version else {
            throw CheckpointError.malformed(path: url.path, reason: "version \(fileVersion), this build reads version \(version)")
        }
        // A stored length or count is the file's word: it must fit in the bytes left before it
        // becomes an Int or a product.
        func length(_ what: String, bytesEach: Int) throws -> Int {
            let stored = try integer(UInt64.self, what)
            guard stored <= UInt64(data.count - cursor) / UInt64(bytesEach) else {
                throw CheckpointError.malformed(path: url.path, reason: "\(what) \(stored) exceeds the \(data.count - cursor) bytes left")
            }
            return Int(stored)
        }
        let jsonLength = try length("header length", bytesEach: 1)
        let progress: Progress
        do { progress = try JSONDecoder().decode(Progress.self, from: try take(jsonLength, "progress record")) } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.malformed(path: url.path, reason: "progress record: \(error)")
        }
        let count = try length("moment count", bytesEach: 8)
        func floats(_ what: String) throws -> [Float] {
            try take(count * 4, what).withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }
        let first = try floats("first moments"), second = try floats("second moments")
        guard cursor == data.count else {
            throw CheckpointError.malformed(path: url.path, reason: "\(data.count - cursor) unexpected bytes at the end")
        }
        return (progress, first, second)
    }
}
