// The rollout's log-probabilities and a policy head's values are read off the decoding pass; a
// full forward over the finished sequences gives the same numbers up to the order of float sums.
import Foundation
@testable import PolicyOptimization
import Randomness
import Testing
import Transformer

@Suite struct DecodingReadingsTests {
    /// Prompts of uneven length (so decoding left-pads them) and enough stop tokens that some rows
    /// stop early, at various steps, while others run to the length limit; GPT-2 and Llama, each
    /// with LoRA adapters on a frozen base as PPO-LoRA samples.
    @Test(arguments: [false, true])
    func theDecodingPassReadsWhatAFullForwardReads(llama: Bool) throws {
        let policy = try tinyAdaptedPolicy(llama: llama)
        let network = policy.network, temperature: Float = 0.7, length = 8
        let head = ScalarHead(width: network.hiddenSize)
        head.initialize(seed: 5)
        let stops = (0..<Int32(24)).map { $0 * 3 }
        let prompts = (0..<16).map { row in (0...(row % 5)).map { Int32(($0 * 37 + row * 11) % 250 + 1) } }
        let readings = DecodingReadings(
            rows: prompts.count, columns: length, vocabulary: network.vocabularySize, temperature: temperature, stops: stops, head: head)
        var generator = RandomGenerator(seed: 4)
        let padding = policy.endOfText ?? 0
        let generations = try network.generate(
            prompts: prompts, parameters: SamplingParameters(temperature: temperature, maxNewTokens: length, stopTokens: stops),
            generator: &generator, padding: padding, adjustingLogits: readings.read, observe: readings.chose)
        #expect(generations.contains { $0.finishReason == .stop && $0.tokens.count > 1 } && generations.contains { $0.finishReason == .length })

        let (logProbabilities, values) = try readings.readings(of: generations)
        let batch = try SequenceBatch(prompts: prompts, responses: generations.map(\.tokens), padding: padding, responseLength: length)
        let forward = try network.responseLogProbabilities(batch, temperature: temperature, tape: nil).scalars
        let forwardValues = try head(network.responseStates(batch, tape: nil), tape: nil).scalars
        let decoded = logProbabilities.scalars, decodedValues = try #require(values).scalars
        for i in batch.responseMask.indices {
            if batch.responseMask[i] == 0 {
                #expect(decoded[i] == 0, "no log-probability after a row stopped (cell \(i))")
            } else {
                #expect(abs(decoded[i] - forward[i]) < 1e-4, "cell \(i): decoded \(decoded[i]), forward \(forward[i])")
                #expect(abs(decodedValues[i] - forwardValues[i]) < 1e-4, "cell \(i): decoded value \(decodedValues[i]), forward \(forwardValues[i])")
                #expect(decoded[i] < 0)
            }
        }
    }

    /// Rollouts drawn from the top k (here the top 1, the greedy answer) keep the full softmax's
    /// log-probabilities, which the ratio and the KL read, as TRL takes them under its sampler.
    @Test func topKRolloutsKeepTheFullSoftmaxsLogProbabilities() throws {
        let policy = try tinyAdaptedPolicy(llama: true)
        let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
        var configuration = PPOConfiguration()
        configuration.responseLength = 6
        configuration.topK = 1
        let prompts: [[Int32]] = [[1, 2, 3], [4, 5], [6], [7, 8]]
        var times = PhaseTimes()
        let rollouts = { (seed: UInt64) in
            var generator = RandomGenerator(seed: seed)
            return try models.collectRollouts(prompts: prompts, configuration: configuration, generator: &generator, times: &times)
        }
        let first = try rollouts(1)
        #expect(try rollouts(2).responses == first.responses, "the top 1 is the same whatever the draws")
        var unused = RandomGenerator(seed: 3)
        let greedy = try policy.network.generate(
            prompts: prompts, parameters: SamplingParameters(temperature: 0, maxNewTokens: 6, stopTokens: policy.stopTokens),
            generator: &unused, padding: policy.endOfText ?? 0)
        #expect(first.responses == greedy.map(\.tokens))
        let forward = try policy.network.responseLogProbabilities(first.batch, temperature: 0.7, tape: nil).scalars
        for (i, real) in first.mask.values.enumerated() where real == 1 {
            #expect(abs(first.logProbabilities.values[i] - Double(forward[i])) < 1e-4, "cell \(i)")
            #expect(first.logProbabilities.values[i] < -1e-3, "the full softmax's, not the top 1's certainty (cell \(i))")
        }
        configuration.topK = 0
        #expect(try rollouts(1).responses != rollouts(2).responses, "without top-k the draws decide")
    }

    /// Without a head on the policy the values are left to the value network.
    @Test func withoutAHeadNoValuesAreRead() throws {
        let (policy, _) = try tinyPolicy()
        let readings = DecodingReadings(rows: 2, columns: 3, vocabulary: policy.network.vocabularySize, temperature: 1, stops: [], head: nil)
        var generator = RandomGenerator(seed: 1)
        let generations = try policy.network.generate(
            prompts: [[1, 2], [3]], parameters: SamplingParameters(temperature: 1, maxNewTokens: 3), generator: &generator,
            adjustingLogits: readings.read, observe: readings.chose)
        let (logProbabilities, values) = try readings.readings(of: generations)
        #expect(values == nil)
        #expect(logProbabilities.scalars.allSatisfy { $0 < 0 }, "every step of both rows was drawn: \(logProbabilities.scalars)")
    }
}
