// GGUF (Sources/Checkpoints/GGUF.swift): the header, typed metadata, tensor descriptions and
// dequantization; then what loading a model reads from it: the Llama hyperparameters, the
// network's tensors and the tokenizer.
import Checkpoints
import LanguageModeling
import Tokenization
import Transformer

let inputName = "input.gguf"

func isTyped(_ error: any Error) -> Bool { error is CheckpointError || error is TokenizationError }

func fuzz(_ bytes: [UInt8]) throws {
    let file = try GGUFFile(contentsOf: inputFile(bytes, named: inputName))
    for tensor in file.tensors { _ = try file.floats(tensor.name) }
    _ = try? LanguageModel.tokenizer(ofGGUF: file)
    _ = try Llama(gguf: file)
}
