// Prompt files for `rlhf evaluate` and reward scoring (Sources/Finetuning/PromptFile.swift): plain
// lines and JSONL objects with a "prompt" field, mixed.
import Finetuning

let inputName = "prompts.txt"

func isTyped(_ error: any Error) -> Bool { error is DataError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try PromptFile.read(inputFile(bytes, named: inputName))
}
