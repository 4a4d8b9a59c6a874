// The training-state file beside every checkpoint (Sources/Checkpoints/TrainingStateFile.swift):
// magic number, version, progress record and optimizer moments.
import Checkpoints

let inputName = "input.state"

struct Progress: Codable {
    var step: Int
    var seed: UInt64
}

func isTyped(_ error: any Error) -> Bool { error is CheckpointError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try TrainingStateFile.read(Progress.self, from: inputFile(bytes, named: inputName))
}
