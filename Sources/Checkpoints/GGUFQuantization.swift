// ggml's tensor storage types that a GGUF model of ours may hold, and their dequantization to
// Float: plain F32/F16/BF16, and the block formats Q8_0, Q4_0 and Q4_1 (32 values a block, each
// block with a half-precision scale, and for Q4_1 a half-precision minimum).

/// A ggml storage type, by its code in GGUF tensor descriptions.
public enum GGMLType: UInt32, Sendable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case bf16 = 30

    /// Values per block (1 for the plain types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        }
    }

    public func byteCount(elements: Int) -> Int { elements / blockSize * blockBytes }

    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q8_0: return "Q8_0"
        }
    }
}

enum GGMLDequantization {
    /// `count` values stored as `type` in `bytes` (exactly `type.byteCount(elements: count)` long).
    static func floats(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { output, initialized in
            let blocks = count / type.blockSize
            for block in 0..<blocks {
                let source = bytes.baseAddress! + block * type.blockBytes
                let target = output.baseAddress! + block * type.blockSize
                switch type {
                case .f32: target.pointee = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(as: UInt32.self)))
                case .f16: target.pointee = half(source)
                case .bf16: target.pointee = Float(bitPattern: UInt32(UInt16(littleEndian: source.loadUnaligned(as: UInt16.self))) << 16)
                case .q8_0: q8_0(source, target)
                case .q4_0: q4(source, target, minimum: -8 * half(source))
                case .q4_1: q4(source + 2, target, minimum: half(source + 2), scale: half(source))
                }
            }
            initialized = count
        }
    }

    @inline(__always) static func half(_ source: UnsafeRawPointer) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: source.loadUnaligned(as: UInt16.self))))
    }

    /// d (f16), then 32 signed bytes q: x = d·q.
    @inline(__always) static func q8_0(_ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>) {
        let scale = half(source)
        for j in 0..<32 { target[j] = scale * Float(source.load(fromByteOffset: 2 + j, as: Int8.self)) }
    }

    /// Sixteen bytes of nibbles after a scale and, for Q4_1, a minimum: value j < 16 is the low
    /// nibble of byte j, value j ≥ 16 the high nibble of byte j − 16; x = d·nibble + m. Q4_0 has
    /// no stored minimum: its nibbles are offset by 8, i.e. m = −8·d. `source` points at the
    /// field before the nibbles (the minimum for Q4_1, the scale for Q4_0).
    @inline(__always) static func q4(_ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, minimum: Float, scale: Float? = nil) {
        let scale = scale ?? half(source)
        let nibbles = source + 2
        for j in 0..<16 {
            let byte = nibbles.load(fromByteOffset: j, as: UInt8.self)
            target[j] = scale * Float(byte & 0x0F) + minimum
            target[j + 16] = scale * Float(byte >> 4) + minimum
        }
    }
}
