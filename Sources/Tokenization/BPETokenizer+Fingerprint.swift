// A tokenizer's identity as a short string, for caches of token ids: two tokenizers with the same
// fingerprint encode every text alike (same token bytes, merges in rank order, special tokens and
// digit splitting); any difference in those changes it.

extension BPETokenizer {
    /// FNV-1a (64-bit) over the token bytes, the merges in rank order, the special tokens and the
    /// digit splitting, in hexadecimal; the same in every process and on every machine.
    public var fingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        func mix(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { for byte in $0 { mix(byte) } } }
        for bytes in tokenBytes {
            mix(Int32(bytes.count))
            for byte in bytes { mix(byte) }
        }
        for merge in mergeTable.merges {
            mix(merge.pair.left)
            mix(merge.pair.right)
            mix(merge.token)
        }
        for special in specialTokenList {
            mix(special.id)
            for byte in special.text.utf8 { mix(byte) }
        }
        mix(UInt8(splitsDigits ? 1 : 0))
        return String(hash, radix: 16)
    }
}
