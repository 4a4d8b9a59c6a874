// Reading Hugging Face's tokenizer.json (the `tokenizers` library's serialisation) for byte-level
// BPE. Whatever would make `tokenizers` give other ids than this tokenizer is refused by the JSON
// field that says it; what cannot change ids (offsets, truncation, padding) is tolerated.

import Foundation

/// The `tokenizer.json` format: its reading here, its writing in `TokenizerJSON+Writing.swift`.
enum TokenizerJSON {
    static let fileName = "tokenizer.json"

    /// An `added_tokens` entry: a special token.
    struct AddedToken {
        var id: Int
        var content: String
        var field: JSONField
    }
}

extension BPETokenizer {
    /// Loads a `tokenizer.json` with a byte-level BPE model, as transformers and `tokenizers` write
    /// it for GPT-2 and the Llama family (SmolLM2).
    ///
    /// Read: `model.vocab` (token → id), `model.merges` as `"left right"` strings or `[left, right]`
    /// pairs, `added_tokens` as special tokens, and the two pre-tokenizers this module implements:
    /// GPT-2's `ByteLevel` (its regex, no prefix space) and SmolLM2's
    /// `Sequence[Digits(individual_digits: true), ByteLevel]`. The decoder must be `ByteLevel`.
    /// Refused, naming the field: other pre-tokenizers, a normalizer, BPE dropout, subword affixes,
    /// `ignore_merges`, non-special or whitespace-absorbing added tokens, and, where the vocabulary
    /// lacks some bytes (which are then dropped from text, as `tokenizers` does), an `unk_token` or
    /// `byte_fallback`. The post-processor is ignored: it only adds tokens around a whole sequence
    /// (transformers' `add_special_tokens`) and never changes the ids of the text.
    public init(tokenizerJSONFile file: URL) throws(TokenizationError) {
        try self.init(tokenizerJSON: try TokenizerFiles.read(file), path: file.path)
    }

    /// Builds a tokenizer from a `tokenizer.json`'s contents; `path` names it in errors.
    init(tokenizerJSON bytes: [UInt8], path: String) throws(TokenizationError) {
        let root = try JSONField(parsing: bytes, path: path)
        if let normalizer = try root.member("normalizer"), !normalizer.isNull {
            let type = try normalizer.member("type")?.kind ?? normalizer.kind
            throw normalizer.failure("is a \(type) normalizer; normalizers are not applied here, so only null is read")
        }
        let splitsDigits = try TokenizerJSON.splitsDigits(root.required("pre_tokenizer"))
        let decoderType = try root.required("decoder").required("type")
        guard try decoderType.string() == "ByteLevel" else {
            throw decoderType.failure("is \(decoderType.kind); only \"ByteLevel\" decodes tokens to their bytes")
        }
        let model = try root.required("model")
        try TokenizerJSON.checkModel(model)
        let addedTokens = try TokenizerJSON.addedTokens(root.member("added_tokens"))
        let entries = try TokenizerJSON.entries(vocabulary: model.required("vocab"), addedTokens: addedTokens)
        let mergeLines = try TokenizerJSON.mergeLines(model.required("merges"))
        do {
            self = try BPETokenizer(
                entries: entries, vocabularyPath: path, mergeLines: mergeLines, mergesPath: path,
                splitsDigits: splitsDigits, allowsMissingBytes: true, specialTokenIDs: Set(addedTokens.map(\.id)))
        } catch {
            throw TokenizerJSON.namingMerge(error, path: path)
        }
        if byteTokens.contains(Self.missingByte) { try TokenizerJSON.checkMissingByteHandling(model) }
    }
}

extension TokenizerJSON {
    /// Whether `pre_tokenizer` cuts out every digit first (SmolLM2's); anything but the two
    /// configurations this module implements is refused.
    static func splitsDigits(_ preTokenizer: JSONField) throws(TokenizationError) -> Bool {
        let supported = "the pre-tokenizers read are ByteLevel (GPT-2's) and Sequence[Digits(individual_digits: true), ByteLevel] (SmolLM2's)"
        if preTokenizer.isNull { throw preTokenizer.failure("is null; \(supported)") }
        let type = try preTokenizer.required("type")
        switch try type.string() {
        case "ByteLevel":
            try checkByteLevel(preTokenizer)
            return false
        case "Sequence":
            let list = try preTokenizer.required("pretokenizers")
            let steps = try list.elements()
            guard steps.count == 2 else { throw list.failure("has \(steps.count) steps; \(supported)") }
            let digitsType = try steps[0].required("type")
            guard try digitsType.string() == "Digits" else { throw digitsType.failure("is \(digitsType.kind); \(supported)") }
            let individual = try steps[0].required("individual_digits")
            guard try individual.bool() else { throw individual.failure("is false; only every digit apart (true) is implemented") }
            let byteLevelType = try steps[1].required("type")
            guard try byteLevelType.string() == "ByteLevel" else { throw byteLevelType.failure("is \(byteLevelType.kind); \(supported)") }
            try checkByteLevel(steps[1])
            return true
        default:
            throw type.failure("is \(type.kind); \(supported)")
        }
    }

    /// `ByteLevel` as GPT-2 configures it: GPT-2's regex (`use_regex`, true when absent, as in
    /// `tokenizers`) and no space added before the text. `trim_offsets` only affects offsets.
    private static func checkByteLevel(_ byteLevel: JSONField) throws(TokenizationError) {
        let prefixSpace = try byteLevel.required("add_prefix_space")
        if try prefixSpace.bool() { throw prefixSpace.failure("is true; only false (no space added before the text) is implemented") }
        if let regex = try byteLevel.member("use_regex"), !(try regex.bool()) {
            throw regex.failure("is false; only GPT-2's pattern (true) is implemented")
        }
    }

    /// The settings of `model` that change ids everywhere; `checkMissingByteHandling` has the rest.
    static func checkModel(_ model: JSONField) throws(TokenizationError) {
        if let type = try model.member("type"), try type.string() != "BPE" {
            throw type.failure("is \(type.kind); only byte-level \"BPE\" is read")
        }
        if let dropout = try model.member("dropout"), !dropout.isNull {
            throw dropout.failure("is \(dropout.kind); BPE dropout makes encoding random, so only null is read")
        }
        for name in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = try model.member(name), !affix.isNull, !(try affix.string()).isEmpty {
                throw affix.failure("is \(affix.kind); byte-level BPE marks no subwords, so only null or \"\" is read")
            }
        }
        if let ignoreMerges = try model.member("ignore_merges"), try ignoreMerges.bool() {
            throw ignoreMerges.failure("is true; pieces that are whole tokens would skip the merges, which is not implemented")
        }
    }

    /// `unk_token` and `byte_fallback` decide what becomes of a byte the vocabulary lacks (and
    /// `fuse_unk` only joins unknown tokens): without them `tokenizers` drops the byte, as this
    /// tokenizer does. Checked only for such vocabularies: with all 256 bytes neither ever acts.
    static func checkMissingByteHandling(_ model: JSONField) throws(TokenizationError) {
        let lacking = "the vocabulary lacks some bytes, which this tokenizer drops from text"
        if let unknown = try model.member("unk_token"), !unknown.isNull {
            throw unknown.failure("is \(unknown.kind); \(lacking), where tokenizers would encode them as this token")
        }
        if let fallback = try model.member("byte_fallback"), try fallback.bool() {
            throw fallback.failure("is true; \(lacking), where tokenizers would encode them as <0xNN> tokens")
        }
    }

    /// The `added_tokens` list, all special tokens matched exactly.
    static func addedTokens(_ list: JSONField?) throws(TokenizationError) -> [AddedToken] {
        guard let list, !list.isNull else { return [] }
        var tokens: [AddedToken] = []
        for item in try list.elements() {
            let content = try item.required("content")
            let token = AddedToken(id: try item.required("id").integer(), content: try content.string(), field: item)
            if token.content.isEmpty { throw content.failure("is empty") }
            let special = try item.required("special")
            guard try special.bool() else {
                throw special.failure("is false; tokenizers matches such tokens in all text, which this tokenizer does only for special tokens, when asked")
            }
            for flag in ["single_word", "lstrip", "rstrip"] {
                if let field = try item.member(flag), try field.bool() {
                    throw field.failure("is true; special tokens are matched exactly, never by word or with the whitespace beside them")
                }
            }
            tokens.append(token)
        }
        return tokens
    }

    /// `model.vocab`'s entries, plus the added tokens it lacks. An added token the vocabulary has
    /// must be spelled there as its content.
    static func entries(vocabulary: JSONField, addedTokens: [AddedToken]) throws(TokenizationError) -> [VocabularyJSON.Entry] {
        var entries: [VocabularyJSON.Entry] = []
        for member in try vocabulary.members() {
            let id = try JSONField(value: member.value, name: vocabulary.name + "." + member.key, path: vocabulary.path).integer()
            entries.append(VocabularyJSON.Entry(spelling: member.key, id: id))
        }
        var spellingOfID = Dictionary(entries.map { ($0.id, $0.spelling) }, uniquingKeysWith: { first, _ in first })
        for token in addedTokens {
            if let spelling = spellingOfID[token.id] {
                guard spelling.utf8.elementsEqual(token.content.utf8) else {
                    throw token.field.failure("gives id \(token.id) to \(TokenizationError.quoted(token.content)), "
                        + "which \(vocabulary.name) gives to \(TokenizationError.quoted(spelling))")
                }
            } else {
                entries.append(VocabularyJSON.Entry(spelling: token.content, id: token.id))
                spellingOfID[token.id] = token.content
            }
        }
        return entries
    }

    /// `model.merges` in rank order; each rule's `number` is its index in the list, which
    /// `namingMerge` turns into the field's name.
    static func mergeLines(_ merges: JSONField) throws(TokenizationError) -> [MergesFile.Line] {
        var lines: [MergesFile.Line] = []
        for (index, merge) in try merges.elements().enumerated() {
            switch merge.value {
            case let .string(text):
                let parts = text.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw merge.failure("is \(merge.kind); a merge is two tokens separated by one space")
                }
                lines.append(MergesFile.Line(left: String(decoding: parts[0], as: UTF8.self),
                                             right: String(decoding: parts[1], as: UTF8.self), number: index))
            case let .array(pair):
                guard pair.count == 2, case let .string(left) = pair[0], case let .string(right) = pair[1] else {
                    throw merge.failure("must be a pair of two token strings")
                }
                lines.append(MergesFile.Line(left: left, right: right, number: index))
            default:
                throw merge.failure("must be a \"left right\" string or a [left, right] pair, not \(merge.kind)")
            }
        }
        return lines
    }

    /// Merge errors, which the shared builder reports by line, named by the merge's field instead.
    static func namingMerge(_ error: TokenizationError, path: String) -> TokenizationError {
        switch error {
        case let .unknownMergeToken(_, index, token):
            return .invalidField(path: path, field: "model.merges[\(index)]",
                                 reason: "names \(TokenizationError.quoted(token)), which is not an ordinary token of model.vocab")
        case let .mergeResultNotInVocabulary(_, index, result):
            return .invalidField(path: path, field: "model.merges[\(index)]",
                                 reason: "makes \(TokenizationError.quoted(result)), which is not in model.vocab")
        case let .duplicateMerge(_, index, first):
            return .invalidField(path: path, field: "model.merges[\(index)]", reason: "repeats model.merges[\(first)]")
        default:
            return error
        }
    }
}
