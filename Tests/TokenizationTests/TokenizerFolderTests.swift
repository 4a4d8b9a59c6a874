// Tokenizer folders: which files are loaded, what tokenizer_config.json and chat_template.jinja
// contribute, what saving writes, and the errors for folders and settings that do not work.

import Foundation
import Testing
@testable import Tokenization

@Suite("Tokenizer folders")
struct TokenizerFolderTests {
    static let digitsJSON = TokenizerJSONFixtureTests.hf.appendingPathComponent("digits/tokenizer.json")

    /// A fresh folder holding `files` (name → contents); removed by the caller.
    static func folder(_ files: [String: Data]) throws -> URL {
        let directory = FileFormatTests.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents) in files { try contents.write(to: directory.appendingPathComponent(name)) }
        return directory
    }

    static func trainedFiles() throws -> [String: Data] {
        try Dictionary(uniqueKeysWithValues: TrainedFixtureTests.fileNames.map {
            ($0, try Data(contentsOf: TrainedFixtureTests.directory.appendingPathComponent($0)))
        })
    }

    @Test("vocab.json + merges.txt alone load, with no settings")
    func twoFiles() throws {
        let directory = try Self.folder(try Self.trainedFiles())
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try TokenizerFolder(directory: directory)
        #expect(folder.tokenizer == (try BPETokenizer(vocabularyFile: TrainedFixtureTests.directory.appendingPathComponent("vocab.json"),
                                                      mergesFile: TrainedFixtureTests.directory.appendingPathComponent("merges.txt"))))
        #expect(folder.settings == TokenizerFolderSettings())
    }

    @Test("tokenizer.json is preferred to vocab.json + merges.txt")
    func tokenizerJSONFirst() throws {
        var files = try Self.trainedFiles()
        files["tokenizer.json"] = try Data(contentsOf: Self.digitsJSON)
        let directory = try Self.folder(files)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try BPETokenizer(directory: directory) == (try BPETokenizer(tokenizerJSONFile: Self.digitsJSON)))
        #expect(try TokenizerFolder(directory: directory).tokenizer.splitsDigits)
    }

    @Test("a folder without tokenizer files names itself and every file looked for")
    func noFiles() throws {
        let directory = try Self.folder(["tokenizer_config.json": Data("{}".utf8)])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TokenizationError.fileAccess(
            path: directory.path, reason: "found none of tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe")) {
            try TokenizerFolder(directory: directory)
        }
    }

    @Test("settings: strings or AddedToken objects, null, a named template list; the config's template before chat_template.jinja")
    func settingsSpellings() throws {
        let config = #"""
            {"bos_token": {"__type": "AddedToken", "content": "<|im_start|>", "lstrip": false}, "eos_token": "<|im_end|>",
             "pad_token": null, "unk_token": "<|endoftext|>", "model_max_length": 1000000000000000019884624838656,
             "chat_template": [{"name": "tool_use", "template": "{{ tools }}"}, {"name": "default", "template": "{{ messages }}"}]}
            """#
        let directory = try Self.folder([
            "tokenizer.json": try Data(contentsOf: Self.digitsJSON), "tokenizer_config.json": Data(config.utf8),
            "chat_template.jinja": Data("{{ ignored }}".utf8),
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try TokenizerFolder(directory: directory).settings
        #expect(settings == TokenizerFolderSettings(bosToken: "<|im_start|>", eosToken: "<|im_end|>", chatTemplate: "{{ messages }}"))
    }

    @Test("a bad tokenizer_config.json is named by file and field", arguments: [
        (#"{"eos_token": 5}"#, "eos_token", "must be a string, not 5"),
        (#"{"bos_token": {"special": true}}"#, "bos_token.content", "is missing"),
        (#"{"chat_template": [{"name": "tool_use", "template": "{{ tools }}"}]}"#, "chat_template", #"has no template named "default""#),
        (#"{"chat_template": [{"template": "{{ x }}"}]}"#, "chat_template[0].name", "is missing"),
        (#"["not", "an", "object"]"#, "(the document)", "must be an object, not an array"),
    ])
    func badConfig(config: String, field: String, reason: String) throws {
        let directory = try Self.folder(["tokenizer.json": try Data(contentsOf: Self.digitsJSON), "tokenizer_config.json": Data(config.utf8)])
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tokenizer_config.json").path
        #expect {
            try TokenizerFolder(directory: directory)
        } throws: { error in
            isInvalidField(error, field, reason, path: path)
        }
    }

    @Test("malformed tokenizer_config.json names the file, line and column")
    func malformedConfig() throws {
        let directory = try Self.folder(["tokenizer.json": try Data(contentsOf: Self.digitsJSON), "tokenizer_config.json": Data("{\n  \"eos_token\": }".utf8)])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TokenizationError.malformedJSON(
            path: directory.appendingPathComponent("tokenizer_config.json").path, line: 2, column: 16, reason: "expected a JSON value")) {
            try TokenizerFolder(directory: directory)
        }
    }

    @Test("saving writes exactly tokenizer.json and tokenizer_config.json, replacing older ones, and reads back")
    func save() throws {
        let tokenizer = try BPETokenizer(tokenizerJSONFile: Self.digitsJSON)
        let settings = TokenizerFolderSettings(eosToken: "<|im_end|>", padToken: "<|endoftext|>", chatTemplate: "{{ '<|im_start|>' }}\n\t\"x\"\\")
        let directory = try Self.folder(["tokenizer_config.json": Data(#"{"eos_token": "old"}"#.utf8)])
        defer { try? FileManager.default.removeItem(at: directory) }
        try tokenizer.saveTokenizerJSON(to: directory, settings: settings)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["tokenizer.json", "tokenizer_config.json"])
        #expect(try TokenizerFolder(directory: directory) == TokenizerFolder(tokenizer: tokenizer, settings: settings))
        let nested = directory.appendingPathComponent("a/b")
        try tokenizer.saveTokenizerJSON(to: nested)
        #expect(try TokenizerFolder(directory: nested).settings == TokenizerFolderSettings())
    }

    @Test("saving refuses settings that name tokens the tokenizer lacks, before writing anything", arguments: [
        (TokenizerFolderSettings(bosToken: "<s>"), "bosToken"),
        (TokenizerFolderSettings(eosToken: "</s>"), "eosToken"),
        (TokenizerFolderSettings(padToken: "p"), "padToken"),
    ])
    func saveRefusesUnknownTokens(settings: TokenizerFolderSettings, field: String) throws {
        let directory = FileFormatTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            try BPETokenizer(tokenizerJSONFile: Self.digitsJSON).saveTokenizerJSON(to: directory, settings: settings)
        } throws: { error in
            guard case let .invalidConfiguration(reported, reason) = error as? TokenizationError else { return false }
            return reported == field && reason.contains("is not a special token of this tokenizer")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }
}
