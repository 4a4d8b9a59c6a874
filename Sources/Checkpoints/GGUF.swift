// The GGUF file format (llama.cpp), version 2 and 3: a header, typed metadata (the model's
// hyperparameters and its tokenizer), tensor descriptions, then the tensor data from an aligned
// offset. Tensors are read on demand and dequantized to Float (GGUFQuantization.swift).
import Foundation

/// A metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case unsigned(UInt64)
    case signed(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    /// The value as an integer, whatever its integer width.
    public var integer: Int? {
        switch self {
        case let .unsigned(value): return Int(exactly: value)
        case let .signed(value): return Int(exactly: value)
        default: return nil
        }
    }

    public var number: Double? {
        if case let .float(value) = self { return value }
        return integer.map(Double.init)
    }

    public var string: String? {
        if case let .string(value) = self { return value }
        return nil
    }
}

/// Where a tensor lies in a GGUF file and how it is stored.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions as GGUF lists them, innermost first: [in, out] is `out` rows of `in` values.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the data section.
    public let offset: Int

    /// Row-major shape, outermost first (`dimensions` reversed), as safetensors would give it.
    public var shape: [Int] { dimensions.reversed() }
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A GGUF file, memory-mapped: metadata parsed on opening, tensors dequantized when asked for.
public struct GGUFFile: @unchecked Sendable {
    public let url: URL
    public let version: Int
    public let metadata: [String: GGUFValue]
    /// In file order.
    public let tensors: [GGUFTensorInfo]
    private let data: Data
    private let dataStart: Int

    public init(contentsOf url: URL) throws(CheckpointError) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw .unreadable(path: url.path, reason: "\(error)")
        }
        var reader = GGUFReader(data: data, path: url.path)
        guard try reader.bytes(4) == Array("GGUF".utf8) else { throw .malformed(path: url.path, reason: "no GGUF magic number") }
        let version = Int(try reader.scalar(UInt32.self))
        guard version == 2 || version == 3 else {
            throw .malformed(path: url.path, reason: "GGUF version \(version) (versions 2 and 3 are read)")
        }
        let tensorCount = try reader.count("tensor count")
        let metadataCount = try reader.count("metadata count")
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<metadataCount {
            let key = try reader.string()
            metadata[key] = try reader.value(ofType: reader.scalar(UInt32.self), key: key)
        }
        var tensors: [GGUFTensorInfo] = []
        for _ in 0..<tensorCount { tensors.append(try reader.tensorInfo()) }
        let alignment = metadata["general.alignment"]?.integer ?? 32
        guard alignment > 0, alignment <= 1 << 30, alignment & (alignment - 1) == 0 else {
            throw .invalidField(path: url.path, field: "general.alignment", reason: "is \(alignment), must be a power of two up to 2^30")
        }
        let dataStart = (reader.position + alignment - 1) / alignment * alignment
        // Tensors may not overlap: otherwise a small file could describe tensors many times its size.
        var previous: (name: String, end: Int)?
        for tensor in tensors.sorted(by: { $0.offset < $1.offset }) {
            // ggml quantises row by row: a block may not run from one row into the next.
            guard tensor.dimensions[0] % tensor.type.blockSize == 0 else {
                throw .malformed(path: url.path, reason: "tensor \(tensor.name) (\(tensor.dimensions), \(tensor.type)) has rows of \(tensor.dimensions[0]) values, not whole blocks of \(tensor.type.blockSize)")
            }
            let end = dataStart + tensor.offset + tensor.type.byteCount(elements: tensor.elementCount)
            guard end <= data.count else {
                throw .malformed(path: url.path, reason: "tensor \(tensor.name) (\(tensor.dimensions), \(tensor.type)) runs past the end of the file")
            }
            if let previous, dataStart + tensor.offset < previous.end {
                throw .malformed(path: url.path, reason: "tensor \(tensor.name) overlaps tensor \(previous.name)")
            }
            previous = (tensor.name, end)
        }
        self.url = url
        self.version = version
        self.metadata = metadata
        self.tensors = tensors
        self.data = data
        self.dataStart = dataStart
    }

    public func tensorInfo(_ name: String) throws(CheckpointError) -> GGUFTensorInfo {
        guard let info = tensors.first(where: { $0.name == name }) else { throw .missingTensor(path: url.path, tensor: name) }
        return info
    }

    /// The tensor's values as Float, row-major (innermost dimension contiguous).
    public func floats(_ name: String) throws(CheckpointError) -> [Float] {
        let info = try tensorInfo(name)
        let start = dataStart + info.offset
        return data.withUnsafeBytes { raw in
            GGMLDequantization.floats(
                UnsafeRawBufferPointer(rebasing: raw[start..<(start + info.type.byteCount(elements: info.elementCount))]),
                type: info.type, count: info.elementCount)
        }
    }

    /// The tensor, checked against the row-major shape a model expects.
    public func floats(_ name: String, shape: [Int]) throws(CheckpointError) -> [Float] {
        let info = try tensorInfo(name)
        guard info.shape == shape else { throw .shapeMismatch(path: url.path, tensor: name, expected: shape, found: info.shape) }
        return try floats(name)
    }

    /// A required integer field.
    public func integer(_ key: String) throws(CheckpointError) -> Int {
        guard let value = metadata[key] else { throw .invalidField(path: url.path, field: key, reason: "is missing") }
        guard let integer = value.integer else { throw .invalidField(path: url.path, field: key, reason: "is not an integer") }
        return integer
    }

    /// A required number field.
    public func number(_ key: String) throws(CheckpointError) -> Double {
        guard let value = metadata[key] else { throw .invalidField(path: url.path, field: key, reason: "is missing") }
        guard let number = value.number else { throw .invalidField(path: url.path, field: key, reason: "is not a number") }
        return number
    }

    /// A required array of strings (a tokenizer's tokens or merges).
    public func strings(_ key: String) throws(CheckpointError) -> [String] {
        guard case let .array(values)? = metadata[key] else { throw .invalidField(path: url.path, field: key, reason: "is not an array") }
        var strings: [String] = []
        strings.reserveCapacity(values.count)
        for value in values {
            guard let string = value.string else { throw .invalidField(path: url.path, field: key, reason: "holds a value that is not a string") }
            strings.append(string)
        }
        return strings
    }

    /// A required array of integers.
    public func integers(_ key: String) throws(CheckpointError) -> [Int] {
        guard case let .array(values)? = metadata[key] else { throw .invalidField(path: url.path, field: key, reason: "is not an array") }
        return try values.map { (value: GGUFValue) throws(CheckpointError) -> Int in
            guard let integer = value.integer else { throw .invalidField(path: url.path, field: key, reason: "holds a value that is not an integer") }
            return integer
        }
    }
}

/// A cursor over a GGUF header; every read checks the bounds and names the file.
struct GGUFReader {
    let data: Data
    let path: String
    private(set) var position = 0

    init(data: Data, path: String) {
        self.data = data
        self.path = path
    }

    mutating func bytes(_ count: Int) throws(CheckpointError) -> [UInt8] {
        guard count >= 0, position + count <= data.count else {
            throw .malformed(path: path, reason: "ends inside the header (byte \(position), \(count) more needed)")
        }
        defer { position += count }
        return [UInt8](data[(data.startIndex + position)..<(data.startIndex + position + count)])
    }

    mutating func scalar<T: FixedWidthInteger>(_: T.Type) throws(CheckpointError) -> T {
        let raw = try bytes(MemoryLayout<T>.size)
        return T(littleEndian: raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) })
    }

    /// A u64 count, bounded so that a corrupt header cannot ask for absurd allocations.
    mutating func count(_ what: String) throws(CheckpointError) -> Int {
        let value = try scalar(UInt64.self)
        guard value <= UInt64(data.count) else { throw .malformed(path: path, reason: "\(what) \(value) exceeds the file size") }
        return Int(value)
    }

    mutating func string() throws(CheckpointError) -> String {
        let length = try count("string length")
        return String(decoding: try bytes(length), as: UTF8.self)
    }

    mutating func value(ofType type: UInt32, key: String) throws(CheckpointError) -> GGUFValue {
        switch type {
        case 0: return .unsigned(UInt64(try scalar(UInt8.self)))
        case 1: return .signed(Int64(try scalar(Int8.self)))
        case 2: return .unsigned(UInt64(try scalar(UInt16.self)))
        case 3: return .signed(Int64(try scalar(Int16.self)))
        case 4: return .unsigned(UInt64(try scalar(UInt32.self)))
        case 5: return .signed(Int64(try scalar(Int32.self)))
        case 6: return .float(Double(Float(bitPattern: try scalar(UInt32.self))))
        case 7: return .bool(try scalar(UInt8.self) != 0)
        case 8: return .string(try string())
        case 9:
            let elementType = try scalar(UInt32.self)
            // As llama.cpp's reader, no arrays of arrays: nesting would let a small file recurse
            // without bound.
            guard elementType != 9 else { throw .invalidField(path: path, field: key, reason: "is an array of arrays, which GGUF readers do not support") }
            let count = try count("array length of \(key)")
            // Every element takes at least a byte (a string its 8-byte length), so a count the rest
            // of the file cannot hold is refused before anything is reserved for it.
            guard count <= (data.count - position) / Self.minimumSize(ofType: elementType) else {
                throw .malformed(path: path, reason: "array length \(count) of \(key) exceeds the bytes left in the file")
            }
            // An element in memory is many times its bytes in the file; the largest vocabularies
            // (token lists, merges) are a few hundred thousand entries.
            guard count <= Self.maximumArrayLength else {
                throw .invalidField(path: path, field: key, reason: "has \(count) elements, more than the \(Self.maximumArrayLength) a model's metadata needs")
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try value(ofType: elementType, key: key)) }
            return .array(values)
        case 10: return .unsigned(try scalar(UInt64.self))
        case 11: return .signed(try scalar(Int64.self))
        case 12: return .float(Double(bitPattern: try scalar(UInt64.self)))
        default: throw .invalidField(path: path, field: key, reason: "has unknown value type \(type)")
        }
    }

    /// The fewest bytes a value of `type` takes (unknown types are refused when read).
    static let maximumArrayLength = 16_000_000

    static func minimumSize(ofType type: UInt32) -> Int {
        switch type {
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        default: return 1
        }
    }

    mutating func tensorInfo() throws(CheckpointError) -> GGUFTensorInfo {
        let name = try string()
        let dimensionCount = Int(try scalar(UInt32.self))
        guard (1...4).contains(dimensionCount) else { throw .malformed(path: path, reason: "tensor \(name) has \(dimensionCount) dimensions") }
        var dimensions: [Int] = []
        for _ in 0..<dimensionCount { dimensions.append(try count("dimension of \(name)")) }
        let typeCode = try scalar(UInt32.self)
        guard let type = GGMLType(rawValue: typeCode) else {
            throw .unsupportedQuantization(path: path, tensor: name, ggmlType: typeCode)
        }
        let offset = try count("offset of \(name)")
        // Bounded so that element and byte counts cannot overflow: no stored type takes less than
        // half a byte a value, so a tensor of more than twice the file's bytes cannot be in it.
        var elements = 1
        for dimension in dimensions {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 2 * data.count else {
                throw .malformed(path: path, reason: "tensor \(name) has dimensions \(dimensions), more values than the file can hold")
            }
            elements = product
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset)
    }
}
