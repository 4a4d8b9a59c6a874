// Demonstration JSONL for `rlhf sft` (Sources/Finetuning/InstructionData.swift): TRL's
// prompt/completion, conversational and messages formats.
import Finetuning

let inputName = "demonstrations.jsonl"

func isTyped(_ error: any Error) -> Bool { error is DataError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try DemonstrationFile.read(inputFile(bytes, named: inputName))
}
