// A corpus tokenized once: a binary file of token ids (16-bit when the vocabulary allows) behind
// a magic number, so later runs and resumed runs read ids instead of re-encoding text.
import AtomicFiles
import Checkpoints
import Foundation

public enum TokenFile {
    static let magic = Array("RLHFTOK1".utf8)

    /// Writes `tokens` atomically; ids are stored in 2 bytes when every id fits, else 4.
    public static func write(_ tokens: [Int32], to url: URL) throws {
        let wide = tokens.contains { $0 > Int32(UInt16.max) || $0 < 0 }
        var data = Data(magic)
        withUnsafeBytes(of: UInt32(wide ? 4 : 2).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(tokens.count).littleEndian) { data.append(contentsOf: $0) }
        data.reserveCapacity(data.count + tokens.count * (wide ? 4 : 2))
        if wide {
            tokens.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        } else {
            tokens.map { UInt16(truncatingIfNeeded: $0) }.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        }
        try AtomicFile.write(data, to: url)
    }

    public static func read(_ url: URL) throws -> [Int32] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        let headerSize = magic.count + 12
        guard data.count >= headerSize, Array(data.prefix(magic.count)) == magic else {
            throw CheckpointError.malformed(path: url.path, reason: "not a token file (bad magic number)")
        }
        let (width, count) = data.withUnsafeBytes { raw in
            (UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: magic.count, as: UInt32.self)),
             UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: magic.count + 4, as: UInt64.self)))
        }
        // Compared in UInt64 against what the file holds, so no header can overflow a size.
        let body = UInt64(data.count - headerSize)
        guard width == 2 || width == 4, body.isMultiple(of: UInt64(width)), count == body / UInt64(width) else {
            throw CheckpointError.malformed(path: url.path, reason: "\(data.count) bytes cannot hold \(count) ids of \(width) bytes")
        }
        return Self.ids(data, headerSize: headerSize, width: Int(width), count: Int(count))
    }

    private static func ids(_ data: Data, headerSize: Int, width: Int, count: Int) -> [Int32] {
        return data.withUnsafeBytes { raw in
            (0..<count).map { i in
                width == 2
                    ? Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: headerSize + 2 * i, as: UInt16.self)))
                    : Int32(littleEndian: raw.loadUnaligned(fromByteOffset: headerSize + 4 * i, as: Int32.self))
            }
        }
    }
}
