// What DPO makes of a preference file beyond its formats: TRL's implicit-prompt text form is
// refused for what it is, a conversation a model cannot lay out and an empty prompt it cannot
// begin are refused by file and line, and bytes that are not UTF-8 are refused.
import Foundation
import Testing
import TestSupport
import Finetuning
import LanguageModeling
import PreferenceOptimization

@Suite struct PreferenceReadingTests {
    /// TRL's `{"chosen": text, "rejected": text}` has no rule for where its prompt ends; the error
    /// said the strings had to be strings.
    @Test func textAnswersWithoutAPromptAskForOne() throws {
        let url = try jsonLinesFile(named: "pairs.jsonl", [#"{"chosen": "Q? Yes.", "rejected": "Q? No."}"#])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect { try PreferenceFile.read(url) } throws: { names($0, url, line: 1, saying: "field \"chosen\" is text, which needs a \"prompt\" field") }
        try Data(#"{"prompt": [{"role": "user", "content": "Q?"}], "chosen": [{"role": "assistant", "content": "Yes."}], "rejected": "No."}"#.utf8).write(to: url)
        #expect { try PreferenceFile.read(url) } throws: { names($0, url, line: 1, saying: "field \"rejected\" must be a list of messages, as the prompt is") }
    }

    @Test func aConversationAModelCannotLayOutIsRefusedByItsLine() throws {
        let model = try tinyGPT()
        let url = try jsonLinesFile(named: "pairs.jsonl", [
            #"{"prompt": "review 1:", "chosen": " a great movie!", "rejected": " a bad film."}"#,
            #"{"prompt": [{"role": "user", "content": "review 1:"}, {"role": "assistant", "content": " a bad film."}, {"role": "user", "content": "again:"}], "chosen": [{"role": "assistant", "content": " a good film."}], "rejected": [{"role": "assistant", "content": " a dull movie."}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let pairs = try PreferenceFile.read(url)
        #expect { try PreferenceData(pairs, model: model, heldOutPeriod: 0) }
            throws: { names($0, url, line: 2, saying: "earlier turns before the prompt, and the model has no chat template") }
        #expect(try PreferenceData(Array(pairs.prefix(1)), model: model, heldOutPeriod: 0).training.count == 1)
    }

    /// An empty prompt became token 0 for a model without an end-of-text token.
    @Test func anEmptyPromptNeedsAnEndOfTextToken() throws {
        let model = try tinyGPT()
        let pair = PreferencePair(prompt: "", chosen: " a great movie!", rejected: " a bad film.")
        #expect(try PreferenceData([pair], model: model, heldOutPeriod: 0).training.map(\.prompt) == [[model.endOfText!]])
        let endless = try LanguageModel(network: model.network, tokenizer: model.tokenizer, stopTokens: [])
        #expect(throws: DataError.unusableExample(number: 1, reason: "the prompt is empty, and the model has no end-of-text token to begin an unprompted answer after")) {
            try PreferenceData([pair], model: endless, heldOutPeriod: 0)
        }
    }

    @Test func bytesThatAreNotUTF8AreRefusedByTheirLine() throws {
        let url = try temporaryFolder().appendingPathComponent("pairs.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try (Data("\n".utf8) + Data([0xFF]) + Data("\n".utf8)).write(to: url)
        let reason = "not UTF-8 text: the byte 0xFF, byte 1 of the line, starts no valid UTF-8 character"
        #expect(throws: DataError.malformedLine(path: url.path, line: 2, reason: reason)) { try PreferenceFile.read(url) }
    }
}
