// GPT-2's reversible map between the 256 byte values and printable Unicode scalars, which is how
// vocabulary and merges files spell byte strings (a leading space shows up as "Ġ").

/// The byte ↔ scalar alphabet of GPT-2's vocabulary files.
///
/// Bytes that are printable Latin-1 characters stand for themselves; the other 68 (controls,
/// space, DEL, NBSP, soft hyphen) are moved to U+0100 onwards in byte order, so every token can be
/// written as a string of visible characters with no spaces and no escapes.
enum ByteAlphabet {
    /// Byte values in GPT-2's token order: the printable ones ascending, then the remapped ones.
    /// GPT-2 gives byte token `i` the id `i` in this order; trained tokenizers do the same.
    static let bytesInTokenOrder: [UInt8] = {
        let printable = (0...255).filter(isPrintable).map(UInt8.init)
        let remapped = (0...255).filter { !isPrintable($0) }.map(UInt8.init)
        return printable + remapped
    }()

    /// `scalars[b]` spells byte `b`.
    static let scalars: [Unicode.Scalar] = {
        var result = [Unicode.Scalar](repeating: "\0", count: 256)
        var nextRemapped: UInt32 = 0x100
        for byte in 0...255 {
            if isPrintable(byte) {
                result[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                result[byte] = Unicode.Scalar(nextRemapped)!
                nextRemapped += 1
            }
        }
        return result
    }()

    /// Inverse of `scalars`, indexed by scalar value; -1 where a scalar spells no byte.
    private static let bytesByScalar: [Int16] = {
        var result = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalars.enumerated() { result[Int(scalar.value)] = Int16(byte) }
        return result
    }()

    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The vocabulary-file spelling of `bytes`.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(scalars[Int(byte)]) }
        return String(result)
    }

    /// The bytes a vocabulary-file spelling stands for, or nil when a scalar is outside the alphabet.
    static func bytes(ofSpelling spelling: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(spelling.unicodeScalars.count)
        for scalar in spelling.unicodeScalars {
            guard scalar.value < bytesByScalar.count else { return nil }
            let byte = bytesByScalar[Int(scalar.value)]
            guard byte >= 0 else { return nil }
            result.append(UInt8(byte))
        }
        return result
    }
}
