// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data.
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
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard headerLength > 0, 8 + headerLength <= data.count else {
            throw CheckpointError.malformed(path: url.path, reason: "header length \(headerLength) exceeds the file size \(data.count)")
        }
        let header = try parseHeader(data.subdata(in: 8..<(8 + headerLength)), path: url.path)
        let body = 8 + headerLength
        var tensors: [String: NamedTensor] = [:]
        var metadata: [String: String] = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                metadata = (entry as? [String: String]) ?? [:]
                continue
            }
            tensors[name] = try decode(name: name, entry: entry, data: data, body: body, path: url.path)
        }
        return (tensors, metadata)
    }

    private static func parseHeader(_ json: Data, path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: json), let header = object as? [String: Any] else {
            throw CheckpointError.malformed(path: path, reason: "header is not a JSON object")
        }
        return header
    }

    private static func decode(name: String, entry: Any, data: Data, body: Int, path: String) throws -> NamedTensor {
        guard let fields = entry as? [String: Any], let dtype = fields["dtype"] as? String,
              let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
            throw CheckpointError.malformed(path: path, reason: "tensor \(name) lacks dtype, shape or data_offsets")
        }
        let count = shape.reduce(1, *)
        let width: Int
        switch dtype {
        case "F32": width = 4
        case "F16", "BF16": width = 2
        default: throw CheckpointError.unsupportedType(path: path, tensor: name, type: dtype)
        }
        let (start, end) = (body + offsets[0], body + offsets[1])
        guard offsets[0] >= 0, end - start == count * width, end <= data.count else {
            throw CheckpointError.malformed(path: path, reason: "tensor \(name): byte range \(offsets) does not hold \(count) \(dtype) values")
        }
        let values = data.withUnsafeBytes { raw -> [Float] in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            switch dtype {
            case "F32": return (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case "F16": return (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
            default: return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            }
        }
        return NamedTensor(name: name, shape: shape, values: values)
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
