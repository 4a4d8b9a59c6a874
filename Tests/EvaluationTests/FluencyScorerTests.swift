// The fluency perplexity: batched (padded, length-sorted, context-capped) against one unpadded
// pass per pair on tiny models, and against transformers on SmolLM2
// (scripts/make_fluency_fixtures.py); empty answers are counted, and with no token left there is
// no perplexity rather than a perfect one.
import Evaluation
import Foundation
import LanguageModeling
import Testing
import TestSupport
import Transformer

@Suite struct FluencyScorerTests {
    let prompts = ["a good film", "the plot", "", "number 12; the", "it's"]
    let responses = [" and a bad film, number 3", " is fine!", " a good film", "", " good, right? the plot is fine! a good film and a bad film"]

    @Test func batchesMatchOnePassPerPairOnGPTAndLlama() throws {
        for model in [try TinyModels.gpt(seed: 1), try TinyModels.llama(seed: 2)] {
            var expected = 0.0, tokens = 0
            for (prompt, response) in zip(prompts, responses) where !response.isEmpty {
                let promptIDs = model.encode(prompt).isEmpty ? [model.tokenizer.specialTokenID("<|endoftext|>").map(Int32.init)!] : model.encode(prompt)
                let responseIDs = model.encode(response)
                expected += try TinyModels.negativeLogLikelihood(model.network, prompt: promptIDs, response: responseIDs)
                tokens += responseIDs.count
            }
            for batchSize in [1, 2, 16] {
                let report = try FluencyScorer(model: model, batchSize: batchSize).perplexity(prompts: prompts, responses: responses)
                #expect(report.tokens == tokens, "batch \(batchSize): the empty response adds no tokens")
                #expect(report.responses == 5 && report.emptyResponses == 1, "batch \(batchSize): the empty response is counted apart")
                expectClose([try #require(report.meanNLL)], [expected / Double(tokens)], Tolerance(relative: 1e-5, absolute: 0), "\(type(of: model.network)) batch \(batchSize)")
            }
        }
    }

    @Test func aPairLongerThanTheContextKeepsTheResponsesStartAndThePromptsEnd() throws {
        let model = try TinyModels.gpt(seed: 3, contextLength: 16)
        let prompt = "number 1; number 2; number 3; the plot", response = " is fine! a good film and a bad film, number 4; the plot is fine!"
        let (promptIDs, responseIDs) = (model.encode(prompt), model.encode(response))
        #expect(responseIDs.count > 16 && promptIDs.count > 1)
        let report = try FluencyScorer(model: model).perplexity(prompts: [prompt, "a good film"], responses: [response, " is fine!"])
        let shortIDs = model.encode(" is fine!")
        #expect(report.tokens == 15 + shortIDs.count)
        let expected = try TinyModels.negativeLogLikelihood(model.network, prompt: [promptIDs.last!], response: Array(responseIDs.prefix(15)))
            + TinyModels.negativeLogLikelihood(model.network, prompt: model.encode("a good film"), response: shortIDs)
        expectClose([try #require(report.meanNLL)], [expected / Double(report.tokens)], Tolerance(relative: 1e-5, absolute: 0), "capped pair")
    }

    @Test func tokenIDsAreDecodedWithoutStopTokensAndReencoded() throws {
        let policy = try TinyModels.gpt(seed: 4), fluency = try TinyModels.llama(seed: 5)
        let end = try #require(policy.endOfText)
        let promptIDs = prompts.map { policy.encode($0).isEmpty ? [end] : policy.encode($0) }
        let responseIDs = responses.map { policy.encode($0) + [end] }
        let scorer = FluencyScorer(model: fluency)
        let fromIDs = try scorer.perplexity(prompts: promptIDs, responses: responseIDs, decodedBy: policy)
        let fromText = try scorer.perplexity(prompts: prompts, responses: responses)
        #expect(fromIDs == fromText)
        #expect(throws: FluencyError.mismatchedCounts(prompts: 1, responses: 0)) { try scorer.perplexity(prompts: ["a"], responses: []) }
    }

    @Test func smolLM2MatchesTransformersAndFindsDegenerateAnswersUnlikely() throws {
        let file = PackageRoot.file("data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw FixtureError(description: "\(file.path) is missing: run scripts/fetch-data.sh")
        }
        let model = try LanguageModel.load(from: file, trainable: false)
        let reference = try Fixture("Tests/Fixtures/evaluation/fluency_smollm2.json")
        let pairs = try #require(try reference.value(["pairs"]) as? [[String: Any]])
        let prompts = try pairs.map { try #require($0["prompt"] as? String) }, responses = try pairs.map { try #require($0["response"] as? String) }
        let scorer = FluencyScorer(model: model, batchSize: 4)
        var perToken: [Double] = []
        for (index, pair) in pairs.enumerated() {
            #expect(model.encode(prompts[index]) == (pair["prompt_ids"] as? [Int])?.map(Int32.init), "prompt ids of \(prompts[index])")
            #expect(model.encode(responses[index]) == (pair["response_ids"] as? [Int])?.map(Int32.init), "response ids of \(responses[index])")
            let alone = try scorer.perplexity(prompts: [prompts[index]], responses: [responses[index]])
            let expected = try #require(pair["nll"] as? Double) / Double(alone.tokens)
            let meanNLL = try #require(alone.meanNLL)
            expectClose([meanNLL], [expected], Tolerance(relative: 2e-5, absolute: 0), "mean NLL of \(responses[index])")
            perToken.append(meanNLL)
        }
        let pooled = try scorer.perplexity(prompts: prompts, responses: responses)
        #expect(pooled.tokens == (try reference.int("tokens")))
        expectClose([try #require(pooled.meanNLL)], [try reference.double("mean_nll")], Tolerance(relative: 2e-5, absolute: 0), "pooled mean NLL")
        // The two fluent continuations are likelier than the gibberish and the one-word answer.
        #expect(max(perToken[0], perToken[1]) < min(perToken[3], perToken[4]), "per-token NLL \(perToken)")
    }

    @Test func onlyEmptyAnswersHaveNoPerplexityNotAPerfectOne() throws {
        let scorer = FluencyScorer(model: try TinyModels.gpt(seed: 6))
        let report = try scorer.perplexity(prompts: ["a good film", "the plot"], responses: ["", ""])
        #expect(report == FluencyReport(responses: 2, emptyResponses: 2, tokens: 0, negativeLogLikelihood: 0))
        #expect(report.meanNLL == nil && report.perplexity == nil)
        #expect(report.perplexityText(digits: 1) == "n/a (2 of 2 answers empty)")
        let none = try scorer.perplexity(prompts: [], responses: [])
        #expect(none.perplexity == nil && none.perplexityText(digits: 1) == "n/a (no answers)")
    }

    @Test func thePerplexityReadsAsBeforeAndTheEmptyAnswersBesideIt() throws {
        let full = FluencyReport(responses: 4, emptyResponses: 0, tokens: 10, negativeLogLikelihood: 10 * Foundation.log(460.44))
        #expect(abs(try #require(full.perplexity) - 460.44) < 1e-9)
        #expect(full.perplexityText(digits: 1) == "460.4" && full.perplexityText(digits: 2) == String(format: "%.2f", full.perplexity!))
        let someEmpty = FluencyReport(responses: 128, emptyResponses: 3, tokens: 10, negativeLogLikelihood: 10 * Foundation.log(460.44))
        #expect(someEmpty.perplexityText(digits: 1) == "460.4 (3 of 128 answers empty)")
    }

    @Test func aReportWithoutTokensWritesNoPerplexityAndReadsBack() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let empty = FluencyReport(responses: 2, emptyResponses: 2, tokens: 0, negativeLogLikelihood: 0)
        #expect(String(decoding: try encoder.encode(empty), as: UTF8.self) == #"{"empty_responses":2,"responses":2,"tokens":0}"#)
        #expect(try JSONDecoder().decode(FluencyReport.self, from: encoder.encode(empty)) == empty)
        let read = FluencyReport(responses: 3, emptyResponses: 1, tokens: 4, negativeLogLikelihood: 6)
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(read)) as? [String: Any])
        let perplexity = try #require(object["perplexity"] as? Double)
        #expect(object["mean_nll"] as? Double == 1.5 && abs(perplexity - Foundation.exp(1.5)) < 1e-12)
        #expect(try JSONDecoder().decode(FluencyReport.self, from: encoder.encode(read)) == read)
    }
}
