// Tiny models the tests of more than one target save and load through the real folder format.
import Foundation
import LanguageModeling
import Tokenization
import Transformer

/// A tiny Llama with a 300-token vocabulary that the words "ab0", "ab1", "cd" and "ef" fit, saved
/// in `folder`/base.
public func saveTinyLlama(in folder: URL) throws -> URL {
    let base = folder.appendingPathComponent("base")
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: (0..<20).map { "ab\($0 % 2) cd ef" })
    let network = try Llama(configuration: LlamaConfiguration(
        vocabularySize: 300, contextLength: 32, width: 16, layers: 1, heads: 4, keyValueHeads: 2, feedForwardWidth: 24))
    network.initialize(seed: 1)
    try LanguageModel(network: network, tokenizer: tokenizer).save(to: base)
    return base
}
