// TRL preference JSONL for `rlhf dpo` (Sources/PreferenceOptimization/PreferencePair.swift): the
// standard, conversational and implicit-prompt formats.
import Finetuning
import PreferenceOptimization

let inputName = "preferences.jsonl"

func isTyped(_ error: any Error) -> Bool { error is DataError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try PreferenceFile.read(inputFile(bytes, named: inputName))
}
