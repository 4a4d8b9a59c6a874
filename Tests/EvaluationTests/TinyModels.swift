// Tiny language models for the evaluation tests: a GPT-2 and a Llama, each over its own trained
// BPE tokenizer, so fluency is measured across two tokenizers as it is in real use.
import Foundation
import LanguageModeling
import Tensors
import Tokenization
import Transformer

enum TinyModels {
    static let text = (0..<30).map { "a good film and a bad film, number \($0); the plot is fine! it's good, right?" }

    static func gpt(seed: UInt64, vocabularySize: Int = 300, contextLength: Int = 40) throws -> LanguageModel {
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: vocabularySize)).train(on: text)
        let endOfText = Int32(tokenizer.specialTokenID("<|endoftext|>")!)
        let network = try GPT(configuration: GPTConfiguration(
            vocabularySize: tokenizer.vocabularySize, contextLength: contextLength, width: 32, layers: 2, heads: 2, endOfTextToken: endOfText))
        network.initialize(seed: seed)
        return try LanguageModel(network: network, tokenizer: tokenizer)
    }

    static func llama(seed: UInt64, contextLength: Int = 48) throws -> LanguageModel {
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 290)).train(on: text.map { $0.uppercased() } + text)
        let network = try Llama(configuration: LlamaConfiguration(
            vocabularySize: tokenizer.vocabularySize, contextLength: contextLength, width: 16, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 24))
        network.initialize(seed: seed)
        for i in network.parameters.allValues.indices { network.parameters.allValues[i] *= 4 }
        return try LanguageModel(network: network, tokenizer: tokenizer)
    }

    /// −Σ log p(response | prompt) from one unpadded pass over prompt + response, in Double.
    static func negativeLogLikelihood(_ model: any CausalLanguageModel, prompt: [Int32], response: [Int32]) throws -> Double {
        let logits = try model.logits(model.hiddenStates(TokenBatch(rows: [prompt + response]), tape: nil), tape: nil).scalars
        let V = model.vocabularySize
        var total = 0.0
        for (j, token) in response.enumerated() {
            let row = logits[((prompt.count - 1 + j) * V)..<((prompt.count + j) * V)].map(Double.init)
            let maximum = row.max()!
            total -= row[Int(token)] - maximum - log(row.reduce(0) { $0 + exp($1 - maximum) })
        }
        return total
    }
}
