// What SFT makes of a demonstration file beyond its formats: the export's chat corrections read,
// a conversation a model cannot lay out and an empty prompt it cannot begin are refused by file
// and line rather than trained on as something else, and bytes that are not UTF-8 are refused.
import Foundation
import LanguageModeling
import Testing
import TestSupport
import Finetuning
import Tokenization
import Transformer

@Suite struct DemonstrationReadingTests {
    /// A GPT-2 with ChatML's special tokens and template, as a chat model reads conversations.
    func chatModel() throws -> LanguageModel {
        let text = (0..<40).map { "system user assistant: be brief. who are you? a bot. the cat sat \($0)" }
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])).train(on: text)
        let network = try GPT(configuration: GPTConfiguration(vocabularySize: tokenizer.vocabularySize, contextLength: 64, width: 16, layers: 1, heads: 2,
            endOfTextToken: Int32(tokenizer.specialTokenID("<|endoftext|>")!)))
        network.initialize(seed: 1)
        return try LanguageModel(network: network, tokenizer: tokenizer, chatTemplate: ChatTemplate())
    }

    /// `rlhf tasks export --format demonstrations` writes a chat correction as the conversation up
    /// to the user's turn in "messages" and the answer in "completion" (beside a transcript in
    /// "prompt"): SFT reads that as the conversation and its answer.
    @Test func anExportedChatCorrectionReadsAsItsConversationAndAnswer() throws {
        let url = try jsonLinesFile(named: "sft.jsonl", [
            #"{"annotator":"ann","completion":"a bot.","messages":[{"content":"be brief.","role":"system"},{"content":"who are you?","role":"user"}],"origin":"chat","prompt":"System: be brief.\nUser: who are you?\nAssistant:"}"#,
        ])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let read = try DemonstrationFile.read(url)
        #expect(read == [Demonstration(prompt: "who are you?", response: "a bot.", context: [ChatMessage(role: "system", content: "be brief.")])])
        #expect(read[0].location == DataLocation(path: url.path, line: 1))
        let model = try chatModel()
        let data = try Recipes.instructionData(read, model: model, heldOutPeriod: 0, seed: 1)
        #expect(data.training.map(\.prompt) == [try model.chatPrompt(read[0].messages)])

        for (line, words) in [
            (#"{"messages":[{"content":"q","role":"user"}]}"#, "or with the user's turn and the answer in \"completion\""),
            (#"{"messages":[{"content":"q","role":"user"},{"content":"a","role":"assistant"}],"completion":"b"}"#, "no \"completion\" beside it"),
        ] {
            try Data(line.utf8).write(to: url)
            #expect { try DemonstrationFile.read(url) } throws: { names($0, url, line: 1, saying: words) }
        }
    }

    /// Without a chat template only the last user turn could be read: a system message or earlier
    /// turns would be dropped, and the answer taught to another conversation.
    @Test func aConversationAModelCannotLayOutIsRefusedByItsLine() throws {
        let model = try tinyLanguageModel()
        #expect(model.chatTemplate == nil)
        let url = try jsonLinesFile(named: "sft.jsonl", [
            #"{"prompt": [{"role": "user", "content": "the cat"}], "completion": [{"role": "assistant", "content": " sat"}]}"#,
            "",
            #"{"prompt": [{"role": "system", "content": "a good film"}, {"role": "user", "content": "the cat"}], "completion": [{"role": "assistant", "content": " sat"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let read = try DemonstrationFile.read(url)
        #expect { try Recipes.instructionData(read, model: model, heldOutPeriod: 0, seed: 1) }
            throws: { names($0, url, line: 3, saying: "a system message before the prompt, and the model has no chat template") }
        let single = try Recipes.instructionData(Array(read.prefix(1)), model: model, heldOutPeriod: 0, seed: 1)
        #expect(single.training.map(\.prompt) == [model.encode("the cat")], "a lone user turn is still its text")

        let earlier = Demonstration(prompt: "the cat", response: " sat", context: [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "b")])
        #expect { try Recipes.instructionData([read[0], earlier], model: model, heldOutPeriod: 0, seed: 1) } throws: { error in
            guard case let .unusableExample(number, reason)? = error as? DataError else { return false }
            return number == 2 && reason.contains("earlier turns")
        }
    }

    /// An empty prompt is an answer begun unprompted, after `<|endoftext|>`, as DPO reads one;
    /// a model with no such token has nothing to begin it after.
    @Test func anEmptyPromptFollowsTheEndOfTextTokenOrIsRefused() throws {
        let model = try tinyLanguageModel()
        let data = try Recipes.instructionData([Demonstration(prompt: "", response: " sat")], model: model, heldOutPeriod: 0, seed: 1)
        #expect(data.training.map(\.prompt) == [[model.endOfText!]])
        #expect(data.training.map(\.response) == [model.encode(" sat") + [model.endOfText!]])

        let endless = try LanguageModel(network: model.network, tokenizer: model.tokenizer, stopTokens: [])
        #expect(endless.endOfText == nil)
        let url = try jsonLinesFile(named: "sft.jsonl", [#"{"prompt": "the cat", "completion": " sat"}"#, #"{"prompt": "", "completion": " sat"}"#])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect { try Recipes.instructionData(DemonstrationFile.read(url), model: endless, heldOutPeriod: 0, seed: 1) }
            throws: { names($0, url, line: 2, saying: "the prompt is empty") }
    }

    /// Bytes in another encoding (Latin-1's é) were read as U+FFFD and trained on.
    @Test func bytesThatAreNotUTF8AreRefusedByTheirLine() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("sft.jsonl")
        let bytes = Data(#"{"prompt": "a", "completion": "b"}"#.utf8) + Data("\r\n{\"prompt\": \"caf".utf8) + Data([0xE9]) + Data("\", \"completion\": \"x\"}\n".utf8)
        try bytes.write(to: url)
        let reason = "not UTF-8 text: the byte 0xE9, byte 16 of the line, starts no valid UTF-8 character"
        #expect(throws: DataError.malformedLine(path: url.path, line: 2, reason: reason)) { try DemonstrationFile.read(url) }
        let prompts = folder.appendingPathComponent("prompts.txt")
        try (Data("fine\n\nalso fine ".utf8) + Data([0xC3, 0x28])).write(to: prompts)
        let cut = "not UTF-8 text: the byte 0xC3, byte 11 of the line, starts no valid UTF-8 character"
        #expect(throws: DataError.malformedLine(path: prompts.path, line: 3, reason: cut)) {
            try PromptFile.read(prompts)
        }
    }
}
