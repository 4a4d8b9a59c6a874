// Best-of-N keeps the reward model's favourite of N samples: its choice is the best candidate,
// more candidates never score worse on average, one candidate is plain sampling, and the same
// seed makes the same choices.
import PolicyOptimization
import Randomness
import Testing
import Transformer

@Suite struct BestOfNTests {
    let liked = Set((0..<Int32(100)).map { $0 * 2 })

    func choices(_ candidates: Int, seed: UInt64 = 1) throws -> [BestOfN.Choice] {
        let (policy, _) = try tinyPolicy()
        let chooser = try BestOfN(
            model: policy, scorer: TokenFondness(liked: liked), candidates: candidates,
            sampling: SamplingParameters(temperature: 1, maxNewTokens: 8), batchSize: 12)
        var generator = RandomGenerator(seed: seed)
        let prompts = (0..<10).map { [Int32($0 % 5 + 1), Int32($0 + 2)] }
        return try chooser.choose(prompts: prompts, generator: &generator)
    }

    @Test func theChoiceIsTheBestCandidateAndMoreCandidatesScoreHigher() throws {
        let best = try choices(8)
        for choice in best {
            #expect(choice.candidateScores.count == 8)
            #expect(choice.score == choice.candidateScores.max())
            #expect(choice.candidateScores[choice.chosenIndex] == choice.score)
            #expect(choice.candidateScores.firstIndex(of: choice.score) == choice.chosenIndex, "ties go to the earliest sample")
            #expect(try TokenFondness(liked: liked).scores(prompts: [[1]], responses: [choice.response])[0] == choice.score)
        }
        let single = try choices(1)
        let mean = { (c: [BestOfN.Choice]) in c.map(\.score).reduce(0, +) / Double(c.count) }
        #expect(mean(best) > mean(single) + 0.1, "best of 8 \(mean(best)) against one sample \(mean(single))")
    }

    @Test func oneCandidateIsPlainSamplingAndTheSeedFixesTheChoices() throws {
        let (policy, _) = try tinyPolicy()
        var generator = RandomGenerator(seed: 1)
        let prompts = (0..<10).map { [Int32($0 % 5 + 1), Int32($0 + 2)] }
        var sampling = SamplingParameters(temperature: 1, maxNewTokens: 8)
        sampling.stopTokens = policy.stopTokens
        let plain = try policy.network.generate(prompts: Array(prompts[0..<10]), parameters: sampling, generator: &generator, padding: policy.endOfText ?? 0)
        #expect(try choices(1).map(\.response) == plain.map { $0.tokens.isEmpty ? [policy.endOfText ?? 0] : $0.tokens })
        #expect(try choices(4, seed: 3) == choices(4, seed: 3))
        #expect(try choices(4, seed: 3).map(\.response) != choices(4, seed: 4).map(\.response))
    }

    /// One draw serves every smaller n: the best of the first n candidates, each prompt's score
    /// never falling as n grows, and n = all the draw is what `choose` returns.
    @Test func smallerNChooseAmongTheFirstCandidatesOfOneDraw() throws {
        let (policy, _) = try tinyPolicy()
        let chooser = try BestOfN(
            model: policy, scorer: TokenFondness(liked: liked), candidates: 8, sampling: SamplingParameters(temperature: 1, maxNewTokens: 8), batchSize: 12)
        let prompts = (0..<10).map { [Int32($0 % 5 + 1), Int32($0 + 2)] }
        var generator = RandomGenerator(seed: 1)
        let draw = try chooser.sample(prompts: prompts, generator: &generator)
        #expect(draw.choices(amongFirst: 8) == (try choices(8)))
        var previous = draw.choices(amongFirst: 1)
        #expect(previous.map(\.response) == draw.responses.map { $0[0] })
        for n in [2, 4, 8] {
            let current = draw.choices(amongFirst: n)
            for (row, choice) in current.enumerated() {
                #expect(choice.candidateScores == Array(draw.scores[row].prefix(n)))
                #expect(choice.response == draw.responses[row][choice.chosenIndex] && choice.score == choice.candidateScores.max())
                #expect(choice.score >= previous[row].score)
            }
            previous = current
        }
    }

    @Test func zeroCandidatesAreRefused() throws {
        let (policy, _) = try tinyPolicy()
        #expect(throws: SamplingError.self) {
            try BestOfN(model: policy, scorer: TokenFondness(liked: liked), candidates: 0, sampling: SamplingParameters())
        }
    }
}
