// FNV-1a (64-bit): a digest that is the same in every process and on every machine, unlike
// `hashValue`. Held-out splits, feature buckets and the fingerprints that tie caches and
// checkpoints to their input all hash with it, so one change of input changes them all alike.

public struct StableHash: Sendable {
    @usableFromInline var state: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public var value: UInt64 { state }

    /// The value in hexadecimal, as records on disk keep it.
    public var hexadecimal: String { String(state, radix: 16) }

    @inlinable public mutating func combine(_ byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x100_0000_01B3
    }

    @inlinable public mutating func combine(bytes: some Sequence<UInt8>) {
        for byte in bytes { combine(byte) }
    }

    /// The value's four bytes, least significant first.
    @inlinable public mutating func combine(_ value: Int32) {
        let bits = UInt32(bitPattern: value)
        for shift in stride(from: UInt32(0), to: 32, by: 8) { combine(UInt8(truncatingIfNeeded: bits >> shift)) }
    }

    @inlinable public mutating func combine(tokens: [Int32]) {
        for token in tokens { combine(token) }
    }

    /// The digest of `text`'s UTF-8.
    @inlinable public static func of(_ text: some StringProtocol) -> UInt64 {
        var hash = StableHash()
        hash.combine(bytes: text.utf8)
        return hash.value
    }
}
