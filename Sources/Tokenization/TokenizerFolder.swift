// A Hugging Face tokenizer folder as a whole: the tokenizer (tokenizer.json, else vocab.json +
// merges.txt) and what tokenizer_config.json says about special tokens and chat prompts.

import Foundation

/// The settings a tokenizer folder carries besides the vocabulary: the special tokens a model
/// starts, stops and pads with, and its chat template.
public struct TokenizerFolderSettings: Equatable, Sendable {
    public var bosToken: String?
    public var eosToken: String?
    public var padToken: String?
    /// The Jinja template transformers renders chat prompts with, carried as text: nothing here
    /// renders it.
    public var chatTemplate: String?

    public init(bosToken: String? = nil, eosToken: String? = nil, padToken: String? = nil, chatTemplate: String? = nil) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.padToken = padToken
        self.chatTemplate = chatTemplate
    }
}

/// A tokenizer with its folder's settings.
public struct TokenizerFolder: Equatable, Sendable {
    static let configFileName = "tokenizer_config.json"
    /// Where transformers 5 writes the chat template instead of tokenizer_config.json.
    static let chatTemplateFileName = "chat_template.jinja"

    public var tokenizer: BPETokenizer
    public var settings: TokenizerFolderSettings

    public init(tokenizer: BPETokenizer, settings: TokenizerFolderSettings) {
        self.tokenizer = tokenizer
        self.settings = settings
    }

    /// Loads `directory` as `BPETokenizer(directory:)` does, with the settings of its
    /// tokenizer_config.json and chat_template.jinja where they exist (none where they do not).
    public init(directory: URL) throws(TokenizationError) {
        tokenizer = try BPETokenizer(directory: directory)
        let config = directory.appendingPathComponent(Self.configFileName)
        settings = TokenizerFiles.exists(config)
            ? try TokenizerFolderSettings(configJSON: try TokenizerFiles.read(config), path: config.path)
            : TokenizerFolderSettings()
        let template = directory.appendingPathComponent(Self.chatTemplateFileName)
        if settings.chatTemplate == nil, TokenizerFiles.exists(template) {
            let bytes = try TokenizerFiles.read(template)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .fileAccess(path: template.path, reason: "is not UTF-8 text")
            }
            settings.chatTemplate = text
        }
    }
}

extension TokenizerFolderSettings {
    /// The settings in a tokenizer_config.json's contents; `path` names it in errors. Special
    /// tokens may be strings or transformers' `AddedToken` objects (`{"content": ...}`); the chat
    /// template a string or a list of named templates, of which the one named "default" is taken.
    init(configJSON bytes: [UInt8], path: String) throws(TokenizationError) {
        let root = try JSONField(parsing: bytes, path: path)
        func token(_ key: String) throws(TokenizationError) -> String? {
            guard let field = try root.member(key), !field.isNull else { return nil }
            if case .object = field.value { return try field.required("content").string() }
            return try field.string()
        }
        self.init(bosToken: try token("bos_token"), eosToken: try token("eos_token"), padToken: try token("pad_token"),
                  chatTemplate: try Self.chatTemplate(root.member("chat_template")))
    }

    private static func chatTemplate(_ field: JSONField?) throws(TokenizationError) -> String? {
        guard let field, !field.isNull else { return nil }
        guard case .array = field.value else { return try field.string() }
        for template in try field.elements() where try template.required("name").string() == "default" {
            return try template.required("template").string()
        }
        throw field.failure("has no template named \"default\"")
    }
}
