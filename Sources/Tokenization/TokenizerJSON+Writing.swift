// Writing tokenizer.json and tokenizer_config.json so that transformers and `tokenizers` load the
// same ids: the components are the ones the Hugging Face files of GPT-2 and SmolLM2 carry;
// scripts/make_tokenizer_json_fixtures.py checks the written files with both libraries.

import Foundation

extension BPETokenizer {
    /// Writes `tokenizer.json` and `tokenizer_config.json` into `directory` (created if needed),
    /// each replaced atomically. The config names `settings`' special tokens, which must be special
    /// tokens of this tokenizer, and carries its chat template when there is one.
    public func saveTokenizerJSON(to directory: URL, settings: TokenizerFolderSettings = TokenizerFolderSettings()) throws(TokenizationError) {
        for (field, token) in [("bosToken", settings.bosToken), ("eosToken", settings.eosToken), ("padToken", settings.padToken)] {
            if let token, specialTokenID(token) == nil {
                throw .invalidConfiguration(field: field, reason: "\(TokenizationError.quoted(token)) is not a special token of this tokenizer")
            }
        }
        try TokenizerFiles.createDirectory(directory)
        try TokenizerFiles.write(TokenizerJSON.serialized(self), to: directory.appendingPathComponent(TokenizerJSON.fileName))
        try TokenizerFiles.write(TokenizerJSON.serializedConfig(settings), to: directory.appendingPathComponent(TokenizerFolder.configFileName))
    }
}

extension TokenizerJSON {
    /// GPT-2's byte-level components, as in its Hugging Face tokenizer.json: the pre-tokenizer with
    /// GPT-2's regex and no prefix space, the decoder, and the post-processor, which adds no tokens.
    static let byteLevelPreTokenizer = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
    static let postProcessor = #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}"#
    static let decoder = #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}"#

    /// `tokenizer.json` for `tokenizer`: one vocabulary entry and one merge per line, so that a
    /// change shows as a changed line in a diff.
    static func serialized(_ tokenizer: BPETokenizer) -> [UInt8] {
        let spellings = tokenizer.spellings
        let preTokenizer = tokenizer.splitsDigits
            ? #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, "# + byteLevelPreTokenizer + "]}"
            : byteLevelPreTokenizer
        var output = Array("""
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
            """.utf8)
        appendLines(tokenizer.specialTokenList, depth: 1, close: "]", to: &output) { special, output in
            output.append(contentsOf: #"{"id": \#(special.id), "content": "#.utf8)
            appendJSONString(special.text, to: &output)
            output.append(contentsOf: #", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#.utf8)
        }
        output.append(contentsOf: """
            ,
              "normalizer": null,
              "pre_tokenizer": \(preTokenizer),
              "post_processor": \(postProcessor),
              "decoder": \(decoder),
              "model": {
                "type": "BPE",
                "dropout": null,
                "unk_token": null,
                "continuing_subword_prefix": null,
                "end_of_word_suffix": null,
                "fuse_unk": false,
                "byte_fallback": false,
                "ignore_merges": false,
                "vocab": {
            """.utf8)
        appendLines(Array(spellings.enumerated()), depth: 2, close: "}", to: &output) { entry, output in
            appendJSONString(entry.element, to: &output)
            output.append(contentsOf: ": \(entry.offset)".utf8)
        }
        // "left right" strings rather than the [left, right] pairs of tokenizers 0.20 and later:
        // every version reads them, and byte-level spellings never contain a space.
        output.append(contentsOf: ",\n    \"merges\": [".utf8)
        appendLines(tokenizer.mergeTable.merges, depth: 2, close: "]", to: &output) { merge, output in
            appendJSONString(spellings[Int(merge.pair.left)] + " " + spellings[Int(merge.pair.right)], to: &output)
        }
        output.append(contentsOf: "\n  }\n}\n".utf8)
        return output
    }

    /// `tokenizer_config.json` naming the special tokens and the chat template. The class is
    /// transformers' generic one because transformers 5's `GPT2Tokenizer` rebuilds the
    /// pre-tokenizer as plain ByteLevel, which would drop SmolLM2's digit splitting.
    static func serializedConfig(_ settings: TokenizerFolderSettings) -> [UInt8] {
        var members = [(#""tokenizer_class""#, #""PreTrainedTokenizerFast""#), (#""clean_up_tokenization_spaces""#, "false")]
        let optional = [("bos_token", settings.bosToken), ("eos_token", settings.eosToken),
                        ("pad_token", settings.padToken), ("chat_template", settings.chatTemplate)]
        for case let (key, value?) in optional {
            var quoted: [UInt8] = []
            appendJSONString(value, to: &quoted)
            members.append(("\"\(key)\"", String(decoding: quoted, as: UTF8.self)))
        }
        return Array(("{\n" + members.map { "  \($0.0): \($0.1)" }.joined(separator: ",\n") + "\n}\n").utf8)
    }

    /// Appends `items` one per line as the body of a JSON array or object whose opening bracket,
    /// `depth` levels deep, is already written; then the closing bracket.
    private static func appendLines<Item>(
        _ items: [Item], depth: Int, close: String, to output: inout [UInt8], _ appendItem: (Item, inout [UInt8]) -> Void
    ) {
        let indent = String(repeating: "  ", count: depth + 1)
        for (index, item) in items.enumerated() {
            output.append(contentsOf: (index == 0 ? "\n" : ",\n").utf8)
            output.append(contentsOf: indent.utf8)
            appendItem(item, &output)
        }
        output.append(contentsOf: ((items.isEmpty ? "" : "\n" + String(repeating: "  ", count: depth)) + close).utf8)
    }
}
