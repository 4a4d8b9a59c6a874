// Prompts that share a prefix (a chat template's system message and user header) have it read
// once per batch: the response states, log-probabilities and gradients are each row's own, as
// if every row carried the prefix. Llama reads the prefix once (products of other shapes, so
// equal within rounding); GPT-2 reads each row whole (bit for bit what it read before).
import LanguageModeling
import Randomness
import Tensors
import Testing
import TestSupport
import Transformer

@Suite struct SharedPrefixTests {
    static let prefix: [Int32] = [5, 9, 2, 7, 3, 8, 1, 6, 4]
    let batch = try! SequenceBatch(
        prompts: [prefix + [10], prefix + [11, 12, 13], prefix + [14, 15]], responses: [[7, 8, 9, 10], [11, 12], [13, 14, 15]], padding: 0)

    @Test func theSharedPrefixIsWhatEveryPromptStartsWith() throws {
        #expect(batch.sharedPrefix == Self.prefix)
        #expect(batch.suffixInput.time == batch.input.time - Self.prefix.count)
        #expect(batch.suffixInput.firstPosition == batch.input.firstPosition)
        // Row 1's last real token sits at the same position whole or after the prefix.
        #expect(batch.suffixInput.positions.ids[batch.suffixInput.time - 1] == batch.input.positions.ids[batch.input.time - 1])
        let equal = try SequenceBatch(prompts: [Self.prefix, Self.prefix], responses: [[1], [2]], padding: 0)
        #expect(equal.sharedPrefix == Array(Self.prefix.dropLast()), "each prompt keeps its last token")
        let short = try SequenceBatch(prompts: [Array(Self.prefix.prefix(7)) + [1], Array(Self.prefix.prefix(7)) + [2]], responses: [[1], [2]], padding: 0)
        #expect(short.sharedPrefix.isEmpty, "7 shared tokens are too few")
        let single = try SequenceBatch(prompts: [Self.prefix + [1]], responses: [[1]], padding: 0)
        #expect(single.sharedPrefix.isEmpty, "one row has nothing to share")
    }

    /// Response states and the gradients of every trainable parameter (the adapters, or the whole
    /// model without them) from a random linear loss on the states.
    func statesAndGradients(_ network: any CausalLanguageModel, wholeRows: Bool) throws -> (states: [Float], gradients: [Float]) {
        network.trainableParameters.zeroGradients()
        let tape = Tape()
        let states = wholeRows
            ? try network.hiddenStates(batch.input, tape: tape).slice(axis: 1, (batch.promptLength - 1)..<(batch.promptLength - 1 + batch.responseLength))
            : try network.responseStates(batch, tape: tape)
        var generator = RandomGenerator(seed: 7)
        try tape.backward(from: states, gradient: (0..<states.elementCount).map { _ in Float(generator.normal()) })
        return (states.scalars, Array(network.trainableParameters.allGradients!))
    }

    @Test(arguments: [false, true])
    func readingThePrefixOnceGivesEachRowsStatesAndGradients(llama: Bool) throws {
        let policy = try tinyAdaptedPolicy(llama: llama)
        let full = try policy.network.copy(trainable: true)
        full.mergeAdapters()
        for network in [policy.network, full] {
            let shared = try statesAndGradients(network, wholeRows: false), whole = try statesAndGradients(network, wholeRows: true)
            let what = network.adapters == nil ? "whole model" : "adapters"
            if llama {
                #expect(maximumDifference(shared.states, whole.states) < 1e-5, "\(what) states")
                // A gradient is a sum of terms up to the largest gradient's size (186 here), so
                // Float rounding of other products is absolute, relative to that scale.
                let scale = Double(whole.gradients.map(abs).max()!)
                expectClose(
                    shared.gradients.map(Double.init), whole.gradients.map(Double.init), Tolerance(relative: 1e-4, absolute: 2e-6 * scale), "\(what) gradients")
                #expect(whole.gradients.contains { $0 != 0 })
            } else {
                #expect(shared.states == whole.states, "\(what) states")
                #expect(shared.gradients == whole.gradients, "\(what) gradients")
            }
        }
    }

    /// The rows after the prefix keep their padding apart: a row padded more than another
    /// attends to the prefix and its own tokens only, as its whole row does.
    @Test func aLlamaRowReadsTheSameWithOrWithoutTheOthers() throws {
        let network = try tinyAdaptedPolicy(llama: true).network
        let all = try network.responseLogProbabilities(batch, tape: nil).scalars
        let longest = try SequenceBatch(
            prompts: [Self.prefix + [11, 12, 13], Self.prefix + [11, 12, 13]], responses: [[11, 12], [11, 12]], padding: 0, responseLength: batch.responseLength)
        #expect(!longest.sharedPrefix.isEmpty)
        let alone = try network.responseLogProbabilities(longest, tape: nil).scalars
        let row = batch.responseLength
        #expect(maximumDifference(Array(all[row..<(2 * row)]), Array(alone[0..<row])) < 1e-5)
    }

    /// Sampling reads the prompts' shared opening once and fills the KV cache as the whole rows
    /// would: every step's logits are each row's own, decoded alone, for both families.
    @Test(arguments: [false, true])
    func samplingAfterASharedPrefixGivesEachRowsLogits(llama: Bool) throws {
        let network = try tinyAdaptedPolicy(llama: llama, confident: true).network
        let prompts = [Self.prefix + [10], Self.prefix + [11, 12, 13], Self.prefix + [14, 15]]
        #expect(TokenBatch.sharedPrefixLength(of: prompts) == Self.prefix.count)
        let parameters = SamplingParameters(temperature: 0, maxNewTokens: 5)
        func sample(_ prompts: [[Int32]]) throws -> (tokens: [[Int32]], logits: [[Float]]) {
            var steps: [[Float]] = [], generator = RandomGenerator(seed: 1)
            let generations = try network.generate(prompts: prompts, parameters: parameters, generator: &generator) { _, logits in
                steps.append(logits.scalars)
                return logits
            }
            let width = network.vocabularySize
            let rows = prompts.indices.map { row in steps.flatMap { $0[(row * width)..<((row + 1) * width)] } }
            return (generations.map(\.tokens), rows)
        }
        let together = try sample(prompts)
        for (row, prompt) in prompts.enumerated() {
            let alone = try sample([prompt])
            #expect(together.tokens[row] == alone.tokens[0], "row \(row)")
            expectClose(together.logits[row].map(Double.init), alone.logits[0].map(Double.init), Tolerance(relative: 1e-4, absolute: 1e-4), "row \(row)")
        }
    }
}
