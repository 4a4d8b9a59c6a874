// The JSON files of a model folder: config.json as GPT-2 and Llama read it
// (Sources/Transformer/GPTConfiguration.swift, LlamaConfiguration.swift) and a PEFT adapter's
// adapter_config.json (LoRAConfiguration.swift). Every input goes through all three readers.
import Checkpoints
import Transformer

let inputName = "config.json"

func isTyped(_ error: any Error) -> Bool { error is CheckpointError }

func fuzz(_ bytes: [UInt8]) throws {
    let url = inputFile(bytes, named: inputName)
    var firstError: (any Error)?
    for read in [{ _ = try GPTConfiguration(huggingFaceConfig: url) }, { _ = try LlamaConfiguration(huggingFaceConfig: url) },
                 { _ = try LoRAConfiguration(peftConfig: url) }] {
        do { try read() } catch { if !isTyped(error) { throw error }; firstError = firstError ?? error }
    }
    if let firstError { throw firstError }
}
