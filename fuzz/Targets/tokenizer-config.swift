// tokenizer_config.json (Sources/Tokenization/TokenizerFolder.swift): the special tokens and the
// chat template, which is then recognised as one of the templates the engine renders
// (Sources/LanguageModeling/ChatTemplate.swift).
import LanguageModeling
@testable import Tokenization

let inputName = "tokenizer_config.json"

func isTyped(_ error: any Error) -> Bool { error is TokenizationError }

func fuzz(_ bytes: [UInt8]) throws {
    let settings = try TokenizerFolderSettings(configJSON: bytes, path: inputName)
    _ = settings.chatTemplate.flatMap(ChatTemplate.init(jinja:))
}
