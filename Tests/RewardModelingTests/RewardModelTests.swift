// The reward model's contract on tiny networks of both families: built from a language model,
// read at the last real token whatever the padding, saved as the family's
// *ForSequenceClassification folder and loaded with its head and normalisation, named errors for
// a folder that is not a reward model, and normalisation to mean 0 and std 1.
import Foundation
import Testing
import LanguageModeling
import RewardModeling
import Tensors
import TestSupport
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
    /// The head is new (N(0, 1/(C + 1)), identity normalisation) and the backbone is the very
    /// model given, trained in place; a head of another width is refused by name.
    @Test func builtFromABackboneWithANewHead() throws {
        let backbone = try tinyLanguageModel()
        let reward = try RewardModel.fineTuning(backbone, seed: 4)
        #expect(reward.backbone === backbone && !reward.isFrozen && reward.gain == 1 && reward.bias == 0)
        #expect(reward.head.weights.count == 32 && reward.head.weights.contains { $0 != 0 })
        #expect(reward.trainableStores.map(ObjectIdentifier.init) == [ObjectIdentifier(backbone.network.parameters), ObjectIdentifier(reward.head.parameters)])
        #expect(throws: RewardModelError.headWidth(head: 7, backbone: 32)) {
            try RewardModel(backbone: backbone, head: ScalarHead(width: 7), kind: .fineTuned)
        }
        #expect(throws: RewardModelError.frozenBackboneWithoutFile) { try RewardModel.frozen(backbone) }
    }

    /// Scores batched with others (left padding, length buckets) equal scores one at a time,
    /// come back in the order given, and depend on the last token.
    @Test func scoresAreReadAtTheLastRealToken() throws {
        let reward = try RewardModel.fineTuning(tinyLanguageModel(), seed: 4)
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
        let reward = try RewardModel.fineTuning(tinyLanguageModel(), seed: 4)
        let model = reward.backbone
        let tokens = try reward.sequence(prompt: "the cat", response: " sat on the mat")
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

    /// The folder is a GPT2ForSequenceClassification (and still loads as the language model);
    /// loading it back gives the same rewards.
    @Test func saveAndLoadKeepHeadAndNormalisation() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reward = try RewardModel.fineTuning(tinyLanguageModel(), seed: 4)
        reward.setNormalization(gain: 2.5, bias: -0.75)
        try reward.save(to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["GPT2ForSequenceClassification"])
        // No padding token: transformers would otherwise read before the end-of-text token it pads with.
        #expect(config?["num_labels"] as? Int == 1 && config?["pad_token_id"] == nil && config?["reward_ends_with_end_of_text"] as? Bool == true)
        #expect(RewardModel.isRewardModelFolder(folder) && !RewardModel.isFrozenBackboneFolder(folder))
        let loaded = try RewardModel.load(from: folder)
        #expect(loaded.gain == 2.5 && loaded.bias == -0.75 && loaded.endsResponsesWithEndOfText && loaded.maximumTokens == 32)
        let prompts = ["the cat", "a good"], responses = [" sat", " film"]
        #expect(try loaded.scores(prompts: prompts, responses: responses) == reward.scores(prompts: prompts, responses: responses))
        let raw = try reward.scores(prompts: prompts, responses: responses, normalized: false)
        let normalized = try reward.scores(prompts: prompts, responses: responses)
        for (r, n) in zip(raw, normalized) { #expect(abs(n - (2.5 * r - 0.75)) < 1e-5) }
        let language = try LanguageModel.load(from: folder, trainable: false)
        #expect(maximumDifference(Array(language.network.parameters.allValues), Array(reward.backbone.network.parameters.allValues)) == 0)
    }

    /// The same contract on the Llama family: a LlamaForSequenceClassification folder with the
    /// head beside the backbone's tensors, read back to the same rewards; training through the
    /// tape reaches both the backbone and the head.
    @Test func aLlamaBackboneMakesALlamaClassifier() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let network = try Llama.load(from: PackageRoot.file("Tests/Fixtures/llama-tiny"), trainable: true)
        let characters = "abcdefghijklmnopqrstuvwxyz0123456789".map(String.init) + ["Ġ", ":", ".", "!", ","]
        let tokenizer = try BPETokenizer(tokens: ["<unk>", "<s>", "</s>"] + characters, merges: [], splitsDigits: false, source: "test alphabet")
        let reward = try RewardModel.fineTuning(LanguageModel(network: network, tokenizer: tokenizer, stopTokens: [2]), seed: 3)
        reward.setNormalization(gain: 1.5, bias: 0.25)
        let sequences: [[Int32]] = [[4, 5, 6], [7, 8], [9, 10, 11, 12]]
        let tape = Tape()
        let total = try reward.rewards(sequences, tape: tape, normalized: false).sum()
        try tape.backward(from: total)
        for store in reward.trainableStores { #expect(store.allGradients!.contains { $0 != 0 }) }
        try reward.save(to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["LlamaForSequenceClassification"] && config?["num_labels"] as? Int == 1)
        let loaded = try RewardModel.load(from: folder)
        #expect(loaded.backbone.network is Llama && loaded.gain == 1.5 && loaded.bias == 0.25)
        #expect(try loaded.scores(sequences: sequences) == reward.scores(sequences: sequences))
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
        let reward = try RewardModel.fineTuning(tinyLanguageModel(), seed: 4)
        let prompts = (0..<20).map { [Int32(5 + $0 % 7)] }
        let responses = (0..<20).map { i in (0..<(1 + i % 5)).map { Int32(20 + ($0 * 7 + i) % 50) } }
        try reward.normalize(onSamples: PolicySamples(prompts: prompts, responses: responses))
        let scores = try reward.scores(prompts: prompts, responses: responses).map(Double.init)
        let mean = scores.reduce(0, +) / 20
        let deviation = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 20).squareRoot()
        #expect(abs(mean) < 1e-4 && abs(deviation - 1) < 1e-4)
        try reward.save(to: folder)
        #expect(try RewardModel.load(from: folder).scores(prompts: prompts, responses: responses) == reward.scores(prompts: prompts, responses: responses))
        // Normalising again on the same samples changes nothing (it works from raw rewards).
        let (gain, bias) = (reward.gain, reward.bias)
        try reward.normalize(onSamples: PolicySamples(prompts: prompts, responses: responses))
        #expect(abs(reward.gain - gain) < 1e-4 * gain && abs(reward.bias - bias) < 1e-4)
        #expect(throws: RewardModelError.self) { try reward.normalize(onSamples: PolicySamples(prompts: [[5]], responses: [[6]])) }
    }
}
