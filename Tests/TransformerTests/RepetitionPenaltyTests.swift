// The repetition penalty against transformers (scripts/make_repetition_penalty_fixtures.py): its
// RepetitionPenaltyLogitsProcessor bit for bit, and greedy decoding of the tiny GPT-2 with
// repetition_penalty token for token through the KV-cached batched sampler; then its place
// before temperature and top-k when sampling, and its validation.
import Randomness
import Tensors
import Testing
import TestSupport
@testable import Transformer

@Suite struct RepetitionPenaltyTests {
    let reference: Fixture

    init() throws {
        reference = try Fixture("Tests/Fixtures/evaluation/repetition_penalty.json")
    }

    @Test func logitsMatchTransformersBitForBit() throws {
        let V = try reference.int("vocabulary")
        let history = try #require(try reference.value(["history"]) as? [[Int]]).map { $0.map(Int32.init) }
        let before = try reference.doubles("before").map(Float.init)
        let cases = try #require(try reference.value(["processor"]) as? [[String: Any]])
        #expect(cases.count == 3 && before.contains(0))
        for item in cases {
            let penalty = Float(try #require(item["penalty"] as? Double))
            let expected = try #require(item["after"] as? [Double]).map(Float.init)
            var logits = before
            let repetition = RepetitionPenalty(penalty, prompts: history)
            logits.withUnsafeMutableBufferPointer { buffer in
                for row in history.indices { repetition.penalize(buffer.baseAddress! + row * V, row: row) }
            }
            #expect(logits.map(\.bitPattern) == expected.map(\.bitPattern), "penalty \(penalty)")
            #expect(zip(logits, before).filter { $0 != $1 }.count == Set(history[0]).count + Set(history[1]).count + Set(history[2]).count - 1,
                    "penalty \(penalty): every distinct seen token changes but the zero logit")
        }
    }

    @Test func greedyDecodingMatchesTransformersAloneAndBatched() throws {
        let model = try GPT.load(from: PackageRoot.file("Tests/Fixtures/gpt2-tiny"))
        let prompts = try #require(try reference.value(["prompts"]) as? [[Int]]).map { $0.map(Int32.init) }
        let cases = try #require(try reference.value(["greedy"]) as? [[String: Any]])
        let stop = Int32(try reference.int("stopToken")), maxNewTokens = try reference.int("maxNewTokens")
        var generator = RandomGenerator(seed: 0)
        let plain = try model.generate(prompts: prompts, parameters: SamplingParameters(temperature: 0, maxNewTokens: maxNewTokens, stopTokens: [stop]), generator: &generator)
        for item in cases {
            let penalty = Float(try #require(item["penalty"] as? Double))
            let expected = try #require(item["continuations"] as? [[Int]]).map { $0.map(Int32.init) }
            let parameters = SamplingParameters(temperature: 0, maxNewTokens: maxNewTokens, stopTokens: [stop], repetitionPenalty: penalty)
            for (prompt, continuation) in zip(prompts, expected) {
                #expect(try model.generate(prompts: [prompt], parameters: parameters, generator: &generator)[0].tokens == continuation, "penalty \(penalty), prompt \(prompt)")
            }
            #expect(try model.generate(prompts: prompts, parameters: parameters, generator: &generator).map(\.tokens) == expected, "penalty \(penalty), left-padded batch")
            #expect(plain.map(\.tokens) != expected, "penalty \(penalty) changes what greedy decoding says")
        }
    }

    @Test func samplingDrawsFromThePenalizedLogits() throws {
        let model = try GPT.load(from: PackageRoot.file("Tests/Fixtures/gpt2-tiny"))
        let prompt: [Int32] = [5, 17, 5, 33, 9]
        let parameters = SamplingParameters(temperature: 0.8, topK: 6, maxNewTokens: 1, repetitionPenalty: 1.7)
        var logits = try model.nextTokenLogits([prompt])
        logits.withUnsafeMutableBufferPointer { RepetitionPenalty(1.7, prompts: [prompt]).penalize($0.baseAddress!, row: 0) }
        for seed in UInt64(0)..<20 {
            var sampler = RandomGenerator(seed: seed), chooser = RandomGenerator(seed: seed)
            let drawn = try model.generate(prompts: [prompt], parameters: parameters, generator: &sampler)[0].tokens
            let expected = logits.withUnsafeBufferPointer { TokenChooser.choose($0.baseAddress!, count: logits.count, parameters: parameters, generator: &chooser) }
            #expect(drawn == [expected], "seed \(seed)")
        }
    }

    @Test func thePenaltyMustBePositiveAndFinite() throws {
        let model = try GPT.load(from: PackageRoot.file("Tests/Fixtures/gpt2-tiny"))
        var generator = RandomGenerator(seed: 0)
        for bad: Float in [0, -1.2, .infinity, .nan] {
            #expect(throws: SamplingError.invalidParameter(field: "repetitionPenalty", expected: "a finite value > 0")) {
                try model.generate(prompts: [[1]], parameters: SamplingParameters(repetitionPenalty: bad), generator: &generator)
            }
        }
    }
}
