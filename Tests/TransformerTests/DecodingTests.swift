// The KV cache against full recomputation, and the sampler's contract: seeded determinism,
// top-k/top-p limits, stop tokens per row, length limits and named errors.
import Randomness
import Tensors
import Testing
import TestSupport
import Transformer

@Suite struct DecodingTests {
    let model: GPT

    init() throws {
        model = try GPT(configuration: GPTConfiguration(vocabularySize: 50, contextLength: 40, width: 16, layers: 2, heads: 4))
        model.initialize(seed: 3)
        // Scale up the initial weights so the distribution is far from uniform and decoding varies.
        for i in model.parameters.allValues.indices { model.parameters.allValues[i] *= 8 }
    }

    @Test func cachedDecodingMatchesTheFullPass() throws {
        let sequences: [[Int32]] = [[1, 5, 9, 2, 7, 7, 3, 11, 4], [8, 2, 4, 6, 13, 1, 0, 9, 9]]
        let full = try model.logits(model.hiddenStates(TokenBatch(rows: sequences), tape: nil), tape: nil).scalars
        let cache = model.makeCache(batch: 2, capacity: 9, firstPosition: nil)
        var pieces: [[Float]] = [[], []]
        // A 4-token prefill, then one token at a time.
        for (start, end) in [(0, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9)] {
            let input = TokenBatch(
                tokens: try TokenGrid(batch: 2, time: end - start, ids: sequences.flatMap { $0[start..<end] }),
                positions: .positions(batch: 2, time: end - start, offset: start), firstPosition: nil)
            let logits = try model.logits(model.decode(input, cache: cache), tape: nil).scalars
            let width = (end - start) * 50
            for b in 0..<2 { pieces[b] += logits[(b * width)..<((b + 1) * width)] }
        }
        expectClose(pieces[0] + pieces[1], full, Tolerance(relative: 1e-4, absolute: 1e-5), "cached vs full logits")
    }

    @Test func leftPaddingDoesNotChangeARowsLogits() throws {
        let alone = try model.logits(model.hiddenStates(TokenBatch(rows: [[4, 8, 15]]), tape: nil), tape: nil).scalars
        let padded = try TokenBatch.leftPadded([[4, 8, 15], [16, 23, 42, 5, 6]], padding: 0)
        let together = try model.logits(model.hiddenStates(padded, tape: nil), tape: nil).scalars
        expectClose(Array(together[(2 * 50)..<(5 * 50)]), alone, Tolerance(relative: 1e-4, absolute: 1e-5), "padded row")
    }

    @Test func aSeedFixesTheSamplesAndRowsStopOnTheirOwn() throws {
        let parameters = SamplingParameters(temperature: 1, maxNewTokens: 20, stopTokens: [7])
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
        let first = try model.generate(prompts: prompts, parameters: parameters, generator: &a)
        #expect(first == (try model.generate(prompts: prompts, parameters: parameters, generator: &b)))
        for generation in first {
            #expect(generation.tokens.count <= 20)
            if generation.finishReason == .stop {
                #expect(generation.tokens.last == 7 && generation.tokens.dropLast().allSatisfy { $0 != 7 })
            } else {
                #expect(generation.tokens.count == 20 && !generation.tokens.contains(7))
            }
        }
    }

    @Test func topKOfOneAndATinyNucleusAreGreedy() throws {
        var generator = RandomGenerator(seed: 1)
        let prompts: [[Int32]] = [[3, 1, 4, 1, 5]]
        let greedy = try model.generate(prompts: prompts, parameters: SamplingParameters(temperature: 0, maxNewTokens: 10), generator: &generator)
        let topK = try model.generate(prompts: prompts, parameters: SamplingParameters(temperature: 1.3, topK: 1, maxNewTokens: 10), generator: &generator)
        let nucleus = try model.generate(prompts: prompts, parameters: SamplingParameters(temperature: 0.9, topP: 1e-6, maxNewTokens: 10), generator: &generator)
        #expect(topK == greedy)
        #expect(nucleus == greedy)
    }

    @Test func topKRestrictsDrawsToTheKMostLikelyTokens() throws {
        let logits = try model.logits(model.hiddenStates(TokenBatch(rows: [[2, 9]]), tape: nil), tape: nil).scalars
        let last = Array(logits[50...])
        let allowed = Set(last.indices.sorted { last[$0] > last[$1] }.prefix(3).map(Int32.init))
        var generator = RandomGenerator(seed: 5)
        for _ in 0..<40 {
            let token = try model.generate(prompts: [[2, 9]], parameters: SamplingParameters(temperature: 2, topK: 3, maxNewTokens: 1), generator: &generator)[0].tokens[0]
            #expect(allowed.contains(token))
        }
    }

    @Test func badRequestsAreRejectedByName() throws {
        var generator = RandomGenerator(seed: 1)
        #expect(throws: SamplingError.contextExceeded(promptLength: 30, newTokens: 20, contextLength: 40)) {
            try model.generate(prompts: [Array(repeating: 1, count: 30)], parameters: SamplingParameters(maxNewTokens: 20), generator: &generator)
        }
        #expect(throws: SamplingError.tokenOutOfRange(row: 1, token: 50, vocabularySize: 50)) {
            try model.generate(prompts: [[1], [50]], parameters: SamplingParameters(), generator: &generator)
        }
        #expect(throws: SamplingError.emptyPrompt(row: 0)) {
            try model.generate(prompts: [[]], parameters: SamplingParameters(), generator: &generator)
        }
        #expect(throws: SamplingError.invalidParameter(field: "topP", expected: "in (0, 1]")) {
            try model.generate(prompts: [[1]], parameters: SamplingParameters(topP: 0), generator: &generator)
        }
        // 1/4.6e-41 overflows: every tempered logit would be ±∞ or NaN (token 0 every step, or a trap with top-k).
        #expect(throws: SamplingError.invalidParameter(field: "temperature", expected: "0, or a finite positive value whose reciprocal is finite")) {
            try model.generate(prompts: [[1]], parameters: SamplingParameters(temperature: Float.leastNormalMagnitude / 256, topK: 5), generator: &generator)
        }
        #expect(throws: SamplingError.self, "an infinite temperature has a finite reciprocal, 0, which would draw uniformly") {
            try model.generate(prompts: [[1]], parameters: SamplingParameters(temperature: .infinity), generator: &generator)
        }
        // 1e-38 has a finite reciprocal, but the scores times it overflow: the draw is greedy's, with or without top-k.
        let greedy = try model.generate(prompts: [[1, 2]], parameters: SamplingParameters(temperature: 0, maxNewTokens: 6), generator: &generator)
        for topK in [0, 5] {
            #expect(try model.generate(prompts: [[1, 2]], parameters: SamplingParameters(temperature: 1e-38, topK: topK, maxNewTokens: 6), generator: &generator) == greedy)
        }
        #expect(throws: SamplingError.contextExceeded(promptLength: 1, newTokens: Int.max, contextLength: 40), "not an overflow trap") {
            try model.generate(prompts: [[1]], parameters: SamplingParameters(maxNewTokens: Int.max), generator: &generator)
        }
    }

    /// A model whose scores turn NaN (diverged weights) is a named error, not a trap in the draw
    /// or a run of token 0.
    @Test(arguments: [0, 5]) func nonFiniteScoresAreRefusedByName(topK: Int) throws {
        let diverged = try GPT(configuration: GPTConfiguration(vocabularySize: 50, contextLength: 40, width: 16, layers: 2, heads: 4))
        diverged.initialize(seed: 3)
        for i in diverged.parameters.allValues.indices { diverged.parameters.allValues[i] = .nan }
        var generator = RandomGenerator(seed: 1)
        #expect(throws: SamplingError.nonFiniteLogits(row: 0, step: 0)) {
            try diverged.generate(prompts: [[1, 2]], parameters: SamplingParameters(temperature: 1, topK: topK, maxNewTokens: 3), generator: &generator)
        }
    }

    @Test func responseLogProbabilitiesReadTheRightPositions() throws {
        let prompts: [[Int32]] = [[1, 2], [3, 4, 5, 6]]
        let responses: [[Int32]] = [[7, 8, 9], [10]]
        let batch = try SequenceBatch(prompts: prompts, responses: responses, padding: 0)
        let scored = try model.responseLogProbabilities(batch, tape: nil).scalars
        for row in 0..<2 {
            let sequence = prompts[row] + responses[row]
            let logits = try model.logits(model.hiddenStates(TokenBatch(rows: [sequence]), tape: nil), tape: nil)
            let targets = (0..<sequence.count).map { t -> Int32 in t + 1 >= prompts[row].count && t + 1 < sequence.count ? sequence[t + 1] : -1 }
            let expected = try logits.tokenLogProbabilities(of: targets).scalars.enumerated().filter { targets[$0.offset] >= 0 }.map(\.element)
            let actual = Array(scored[(row * 3)..<(row * 3 + responses[row].count)])
            expectClose(actual, expected, Tolerance(relative: 1e-4, absolute: 1e-5), "row \(row)")
            #expect(scored[(row * 3 + responses[row].count)..<(row * 3 + 3)].allSatisfy { $0 == 0 })
        }
        #expect(batch.responseMask == [1, 1, 1, 1, 0, 0])
    }
}
