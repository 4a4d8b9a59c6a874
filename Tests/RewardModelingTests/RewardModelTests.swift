// The reward model's contract on a tiny network: built from a language model, read at the last
// real token whatever the padding, saved and loaded with its head and normalisation, named
// errors for a folder that is not a reward model, and normalisation to mean 0 and std 1.
import Foundation
import Testing
import LanguageModeling
import RewardModeling
import Tokenization
import Transformer

/// A small tokenizer and language model, the same every time.
func tinyLanguageModel(seed: UInt64 = 1) throws -> LanguageModel {
    let text = (0..<40).map { "the cat sat on the mat number \($0). a good film, a bad film; what a great movie! an awful plot." }
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: text)
    let network = try GPT(configuration: GPTConfiguration(
        vocabularySize: tokenizer.vocabularySize, contextLength: 32, width: 32, layers: 2, heads: 2,
        endOfTextToken: Int32(tokenizer.specialTokenID("<|endoftext|>")!)))
    network.initialize(seed: seed)
    return try LanguageModel(network: network, tokenizer: tokenizer)
}

@Suite struct RewardModelTests {
    @Test func builtFromABackboneKeepsItsWeights() throws {
        let backbone = try tinyLanguageModel()
        let reward = try RewardModel(backbone: backbone, seed: 4)
        let configuration = reward.network.configuration
        #expect(configuration.hasScalarHead && reward.gain == 1 && reward.bias == 0)
        for entry in backbone.network.parameters.layout.entries {
            let original = backbone.network.parameters.withValues(of: entry.name) { Array($0) }
            #expect(reward.network.parameters.withValues(of: entry.name) { Array($0) } == original, "\(entry.name)")
        }
        let head = reward.network.parameters.withValues(of: "score.weight") { Array($0) }
        #expect(head.count == 32 && head.contains { $0 != 0 })
        #expect(throws: RewardModelError.alreadyHasScalarHead) { try RewardModel(backbone: reward.model, seed: 0) }
    }

    /// Scores batched with others (left padding, length buckets) equal scores one at a time,
    /// come back in the order given, and depend on the last token.
    @Test func scoresAreReadAtTheLastRealToken() throws {
        let reward = try RewardModel(backbone: tinyLanguageModel(), seed: 4)
        let prompts: [[Int32]] = [[5, 6, 7], [8], [9, 10, 11, 12, 13], [], [5, 6, 7]]
        let responses: [[Int32]] = [[20, 21], [22, 23, 24, 25, 26], [27], [28, 29], [20, 30]]
        let batched = try reward.scores(prompts: prompts, responses: responses, batchSize: 3)
        let single = try zip(prompts, responses).map { try reward.scores(prompts: [$0], responses: [$1])[0] }
        for (a, b) in zip(batched, single) { #expect(abs(a - b) < 1e-5, "\(batched) vs \(single)") }
        #expect(batched[0] != batched[4])  // same prompt, different last token
        #expect(throws: RewardModelError.emptySequence(row: 0)) { try reward.scores(prompts: [[]], responses: [[]]) }
        #expect(throws: RewardModelError.countMismatch(prompts: 1, responses: 2)) { try reward.scores(prompts: [[1]], responses: [[2], [3]]) }
    }

    /// A text response is scored as finished: its tokens plus <|endoftext|>; long sequences
    /// keep their end.
    @Test func textPairsAreEncodedAsFinishedResponses() throws {
        let reward = try RewardModel(backbone: tinyLanguageModel(), seed: 4)
        let model = reward.model
        let tokens = reward.sequence(prompt: "the cat", response: " sat on the mat")
        #expect(tokens == model.encode("the cat") + model.encode(" sat on the mat") + [model.endOfText!])
        let text = try reward.scores(prompts: ["the cat"], responses: [" sat on the mat"])
        let byTokens = try reward.scores(prompts: [model.encode("the cat")], responses: [model.encode(" sat on the mat") + [model.endOfText!]])
        #expect(text == byTokens)
        let long = reward.sequence(prompt: Array(repeating: 5, count: 40), response: [6, 7])
        #expect(long.count == 32 && long.suffix(2) == [6, 7])
    }

    /// Policy samples cycle through the prompts, keep an empty prompt empty (the policy starts
    /// it from <|endoftext|>), stop at <|endoftext|> (kept) or the length limit, and repeat for a seed.
    @Test func policySamplesForNormalisation() throws {
        let policy = try tinyLanguageModel()
        let parameters = SamplingParameters(temperature: 1, maxNewTokens: 6)
        let samples = try PolicySamples.draw(from: policy, prompts: ["the cat", ""], count: 5, parameters: parameters, seed: 3, batchSize: 2)
        #expect(samples.prompts == [policy.encode("the cat"), [], policy.encode("the cat"), [], policy.encode("the cat")])
        #expect(samples.responses.count == 5)
        for response in samples.responses {
            #expect(!response.isEmpty && response.count <= 6)
            #expect(response.count == 6 || response.last == policy.endOfText)
        }
        let again = try PolicySamples.draw(from: policy, prompts: ["the cat", ""], count: 5, parameters: parameters, seed: 3, batchSize: 2)
        #expect(again == samples)
    }

    @Test func saveAndLoadKeepHeadAndNormalisation() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reward = try RewardModel(backbone: tinyLanguageModel(), seed: 4)
        try reward.setNormalization(gain: 2.5, bias: -0.75)
        try reward.save(to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["GPT2ForSequenceClassification"])
        let loaded = try RewardModel.load(from: folder)
        #expect(loaded.gain == 2.5 && loaded.bias == -0.75)
        let prompts = ["the cat", "a good"], responses = [" sat", " film"]
        #expect(try loaded.scores(prompts: prompts, responses: responses) == reward.scores(prompts: prompts, responses: responses))
        let raw = try reward.scores(prompts: prompts, responses: responses, normalized: false)
        let normalized = try reward.scores(prompts: prompts, responses: responses)
        for (r, n) in zip(raw, normalized) { #expect(abs(n - (2.5 * r - 0.75)) < 1e-5) }
    }

    @Test func aLanguageModelFolderIsNamedAsNotARewardModel() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try tinyLanguageModel().save(to: folder)
        #expect(throws: RewardModelError.missingScalarHead(path: folder.path)) { try RewardModel.load(from: folder) }
    }

    @Test func normalisationGivesTheSamplesMeanZeroAndUnitDeviation() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reward = try RewardModel(backbone: tinyLanguageModel(), seed: 4)
        let prompts = (0..<20).map { [Int32(5 + $0 % 7)] }
        let responses = (0..<20).map { i in (0..<(1 + i % 5)).map { Int32(20 + ($0 * 7 + i) % 50) } }
        try reward.normalize(onSamples: prompts, responses: responses)
        let scores = try reward.scores(prompts: prompts, responses: responses).map(Double.init)
        let mean = scores.reduce(0, +) / 20
        let deviation = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 20).squareRoot()
        #expect(abs(mean) < 1e-4 && abs(deviation - 1) < 1e-4)
        try reward.save(to: folder)
        #expect(try RewardModel.load(from: folder).scores(prompts: prompts, responses: responses) == reward.scores(prompts: prompts, responses: responses))
        // Normalising again on the same samples changes nothing (it works from raw rewards).
        let (gain, bias) = (reward.gain, reward.bias)
        try reward.normalize(onSamples: prompts, responses: responses)
        #expect(abs(reward.gain - gain) < 1e-4 * gain && abs(reward.bias - bias) < 1e-4)
        #expect(throws: RewardModelError.self) { try reward.normalize(onSamples: [[5]], responses: [[6]]) }
    }
}
