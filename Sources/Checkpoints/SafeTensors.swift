// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data.
import AtomicFiles
import Foundation

/// One tensor read from a safetensors file, converted to Float.
public struct NamedTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

public enum SafeTensors {
    /// Reads every tensor (F32, F16 or BF16) of the file, and its string metadata.
    public static func read(_ url: URL) throws -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: "\(error)")
        }
        guard data.count >= 8 else { throw CheckpointError.malformed(path: url.path, reason: "shorter than the 8-byte header length") }
        // Compared as UInt64 first: a corrupt length may not fit an Int.
        let storedLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard storedLength > 0, storedLength <= UInt64(data.count - 8) else {
            throw CheckpointError.malformed(path: url.path, reason: "header length \(storedLength) exceeds the file size \(data.count)")
        }
        let headerLength = Int(storedLength)
        let header = try parseHeader(data.subdata(in: 8..<(8 + headerLength)), path: url.path)
        let body = 8 + headerLength
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        // In name order, so that a file with several faults always reports the same one.
        for (name, fields) in header.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                metadata = (fields as? [String: String]) ?? [:]
            } else {
                entries.append(try entry(name: name, fields: fields, dataSize: data.count - body, path: url.path))
            }
        }
        // Tensors may not share bytes: otherwise a small file could describe tensors many times its size.
        let stored = entries.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (first, second) in zip(stored, stored.dropFirst()) where second.range.lowerBound < first.range.upperBound {
            throw CheckpointError.malformed(path: url.path, reason: "tensors \(first.name) and \(second.name) overlap")
        }
        var tensors: [String: NamedTensor] = [:]
        for entry in entries { tensors[entry.name] = decode(entry, data: data, body: body) }
        return (tensors, metadata)
    }

    /// A tensor's description in the header, checked against the size of the data section.
    private struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        let count: Int
        /// Bytes from the start of the data section.
        let range: Range<Int>
    }

    private static func parseHeader(_ json: Data, path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: json), let header = object as? [String: Any] else {
            throw CheckpointError.malformed(path: path, reason: "header is not a JSON object")
        }
        return header
    }

    private static func entry(name: String, fields: Any, dataSize: Int, path: String) throws -> Entry {
        guard let fields = fields as? [String: Any], let dtype = fields["dtype"] as? String,
              let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
            throw CheckpointError.malformed(path: path, reason: "tensor \(name) lacks dtype, shape or data_offsets")
        }
        let width: Int
        switch dtype {
        case "F32": width = 4
        case "F16", "BF16": width = 2
        default: throw CheckpointError.unsupportedType(path: path, tensor: name, type: dtype)
        }
        // The shape and offsets are the file's word: checked so that no product or sum overflows
        // and the range lies inside the data section.
        guard let bytes = byteCount(shape: shape, width: width), offsets[0] >= 0, offsets[0] <= offsets[1],
              offsets[1] <= dataSize, offsets[1] - offsets[0] == bytes else {
            throw CheckpointError.malformed(path: path, reason: "tensor \(name): byte range \(offsets) does not hold shape \(shape) of \(dtype) values")
        }
        return Entry(name: name, dtype: dtype, shape: shape, count: bytes / width, range: offsets[0]..<offsets[1])
    }

    private static func decode(_ entry: Entry, data: Data, body: Int) -> NamedTensor {
        let count = entry.count
        let values = data.withUnsafeBytes { raw -> [Float] in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[(body + entry.range.lowerBound)..<(body + entry.range.upperBound)])
            switch entry.dtype {
            case "F32": return (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case "F16": return (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
            default: return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            }
        }
        return NamedTensor(name: entry.name, shape: entry.shape, values: values)
    }

    /// The bytes of a tensor of `shape`, nil for a negative dimension or a size no Int holds.
    private static func byteCount(shape: [Int], width: Int) -> Int? {
        var bytes = width
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            bytes = product
        }
        return bytes
    }

    /// Writes the tensors as F32 in the given order, atomically, with optional string metadata.
    public static func write(_ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for tensor in tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.values.count, "tensor \(tensor.name): shape \(tensor.shape) for \(tensor.values.count) values")
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.values.count]]
            offset += 4 * tensor.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - (8 + json.count) % 8) % 8))
        try AtomicFile.write(to: url) { handle in
            var length = UInt64(json.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: json)
            for tensor in tensors {
                try handle.write(contentsOf: Data(buffer: tensor.values))
            }
        }
    }
}
