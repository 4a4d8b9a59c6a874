// The Llama implementation and the GGUF tokenizer on the real SmolLM2-135M-Instruct file
// (fetched by scripts/fetch-data.sh) against transformers' own GGUF loader
// (scripts/make_llama_fixtures.py): token ids, the chat prompt's next-token logits, the greedy
// answer, and the final hidden state a reward model's head reads.
import Foundation
import LanguageModeling
import Randomness
import Testing
import TestSupport
import Transformer

@Suite struct SmolLM2ParityTests {
    static let modelFile = PackageRoot.file("data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    /// Loaded once: dequantizing the file takes a second or two.
    nonisolated(unsafe) static let loaded: Result<LanguageModel, any Error> = Result {
        guard FileManager.default.fileExists(atPath: modelFile.path) else {
            throw FixtureError(description: "\(modelFile.path) is missing: run scripts/fetch-data.sh")
        }
        return try LanguageModel.load(from: modelFile, trainable: false)
    }
    let model: LanguageModel
    let network: Llama
    let reference: Fixture

    init() throws {
        model = try Self.loaded.get()
        network = try #require(model.network as? Llama)
        reference = try Fixture("Tests/Fixtures/llama/smollm2.json")
    }

    @Test func configurationIsSmolLM2() {
        let c = network.configuration
        let sizes = [c.vocabularySize, c.width, c.layers, c.heads, c.keyValueHeads, c.feedForwardWidth]
        #expect(sizes == [49_152, 576, 30, 9, 3, 1536])
        #expect(c.ropeBase == 100_000)
        #expect(c.tiedEmbeddings)
        #expect(model.stopTokens == [2])
        #expect(model.tokenizer.splitsDigits)
        #expect(model.chatTemplate?.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }

    @Test func tokenizerMatchesTransformers() throws {
        guard let encodings = try reference.value(["encodings"]) as? [[String: Any]] else {
            throw FixtureError(description: "encodings is not a list")
        }
        #expect(encodings.count == 5)
        for encoding in encodings {
            let text = try #require(encoding["text"] as? String), ids = try #require(encoding["ids"] as? [Int])
            #expect(model.encode(text) == ids.map(Int32.init), "\(text.debugDescription)")
            #expect(try model.decode(ids.map(Int32.init)) == text)
        }
        let dropped = try #require(reference.value(["missing_bytes", "text"]) as? String)
        #expect(model.encode(dropped) == (try reference.int32s("missing_bytes", "ids")), "bytes the vocabulary lacks are dropped")
        // Typed control-token text stays text unless asked for.
        #expect(!model.encode("<|im_start|>").contains(1))
        #expect(model.tokenizer.encode("<|im_start|>", specialTokens: .recognizeAll) == [1])
    }

    @Test func chatLogitsAndGreedyAnswerMatchTransformers() throws {
        // This fixture's prompt has no system message (the template's default came later, in smollm2_chat.json).
        let question = try #require(reference.value(["chat", "question"]) as? String)
        let prompt: [Int32] = [1] + model.encode("user\n" + question) + [2] + model.encode("\n") + [1] + model.encode("assistant\n")
        #expect(prompt == (try reference.int32s("chat", "prompt_ids")))
        let logits = try model.network.nextTokenLogits([prompt])
        let topIDs = try reference.int32s("chat", "top_ids")
        let ranked = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(topIDs.count).map(Int32.init)
        #expect(ranked.first == topIDs.first)
        // Below the top few, near-equal logits may swap places with summation order.
        #expect(Set(ranked.prefix(5)) == Set(topIDs.prefix(5)))
        expectClose(topIDs.map { logits[Int($0)] }, try reference.doubles("chat", "top_logits"), Tolerance(relative: 1e-4, absolute: 2e-3), "top logits")
        expectClose(Array(logits.prefix(32)), try reference.doubles("chat", "logits_0_32"), Tolerance(relative: 1e-4, absolute: 2e-3), "logits[0..<32]")
        var generator = RandomGenerator(seed: 0)
        let answer = try model.generate([prompt], parameters: SamplingParameters(temperature: 0, maxNewTokens: 12), generator: &generator)[0].tokens
        #expect(answer == (try reference.int32s("chat", "greedy_ids")))
        #expect(try model.decode(answer) == "The capital of France is Paris.")
    }

    /// The final hidden state at the last token, alone and right-padded in a batch with a longer
    /// sequence: padding after a sequence never reaches it.
    @Test func lastHiddenStatesMatchTransformersInABatch() throws {
        guard let rows = try reference.value(["hidden"]) as? [[String: Any]] else { throw FixtureError(description: "hidden is not a list") }
        let sequences = try rows.map { try #require($0["ids"] as? [Int]).map(Int32.init) }
        #expect(sequences[0].count != sequences[1].count)
        let batched = try model.network.lastHiddenStates(sequences)
        let width = network.configuration.width
        for (row, entry) in rows.enumerated() {
            let text = try #require(entry["text"] as? String)
            #expect(model.encode(text) == sequences[row])
            let expected = try #require(entry["last_hidden"] as? [Double])
            expectClose(Array(batched[(row * width)..<((row + 1) * width)]), expected, Tolerance(relative: 1e-3, absolute: 2e-3), "hidden state of \(text)")
            expectClose(try model.network.lastHiddenStates([sequences[row]]), expected, Tolerance(relative: 1e-3, absolute: 2e-3), "\(text) alone")
        }
    }

    @Test func refusesInputsItCannotRun() {
        #expect(throws: ModelInputError.emptySequence) { try model.network.lastHiddenStates([[1], []]) }
        #expect(throws: ModelInputError.unknownToken(49_152, vocabularySize: 49_152)) { try model.network.lastHiddenStates([[49_152]]) }
    }
}
