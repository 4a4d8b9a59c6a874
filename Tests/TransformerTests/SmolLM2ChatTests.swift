// Chat with the real SmolLM2 against transformers (scripts/make_smollm2_chat_fixtures.py): the
// ChatML prompt its chat template renders (with the default system message, an explicit one, and
// none) token for token, and the greedy answers decoded with the KV cache.
import Foundation
import LanguageModeling
import Randomness
import Testing
import TestSupport
import Transformer

@Suite struct SmolLM2ChatTests {
    let model: LanguageModel
    let chats: [[String: Any]]

    init() throws {
        model = try SmolLM2ParityTests.loaded.get()
        chats = try Fixture("Tests/Fixtures/llama/smollm2_chat.json").value(["chats"]) as? [[String: Any]] ?? []
    }

    func variant(_ chat: [String: Any], _ name: String) throws -> [String: Any] {
        try #require((chat["prompts"] as? [String: Any])?[name] as? [String: Any])
    }

    func messages(_ variant: [String: Any]) -> [ChatMessage] {
        (variant["messages"] as? [[String: String]] ?? []).map { ChatMessage(role: $0["role"]!, content: $0["content"]!) }
    }

    @Test func chatPromptsAreTheTemplatesTokens() throws {
        #expect(chats.count == 4)
        for chat in chats {
            for name in ["default", "explicit_system"] {
                let expected = try #require(try variant(chat, name)["ids"] as? [Int]).map(Int32.init)
                #expect(try model.chatPrompt(messages(try variant(chat, name))) == expected, "\(name): \(chat["question"] ?? "")")
            }
        }
    }

    @Test func greedyAnswersMatchTransformers() throws {
        let prompts = try chats.flatMap { chat in
            try ["default", "explicit_system"].map { try model.chatPrompt(messages(try variant(chat, $0))) }
        }
        let expected = try chats.flatMap { chat in
            try ["default", "explicit_system"].map { try #require((try variant(chat, $0)["greedy"] as? [String: Any])?["answer_ids"] as? [Int]).map(Int32.init) }
        }
        var generator = RandomGenerator(seed: 0)
        let batched = try model.generate(prompts, parameters: SamplingParameters(temperature: 0, maxNewTokens: 32), generator: &generator)
        for (index, (generation, reference)) in zip(batched, expected).enumerated() {
            let text = try model.decode(generation.tokens)
            #expect(generation.tokens == reference, "answer \(index): \(text.debugDescription)")
        }
    }
}
