// A tokenizer's identity as a short string, for caches of token ids: two tokenizers with the same
// fingerprint encode every text alike (same token bytes, merges in rank order, special tokens and
// digit splitting); any difference in those changes it.
import StableHashing

extension BPETokenizer {
    /// FNV-1a (64-bit) over the token bytes, the merges in rank order, the special tokens and the
    /// digit splitting, in hexadecimal; the same in every process and on every machine.
    public var fingerprint: String {
        var hash = StableHash()
        for bytes in tokenBytes {
            hash.combine(Int32(bytes.count))
            hash.combine(bytes: bytes)
        }
        for merge in mergeTable.merges {
            hash.combine(merge.pair.left)
            hash.combine(merge.pair.right)
            hash.combine(merge.token)
        }
        for special in specialTokenList {
            hash.combine(special.id)
            hash.combine(bytes: special.text.utf8)
        }
        hash.combine(UInt8(splitsDigits ? 1 : 0))
        return hash.hexadecimal
    }
}
