// safetensors (Sources/Checkpoints/SafeTensors.swift): the header length, the header JSON and
// every tensor's dtype, shape and byte range.
import Checkpoints

let inputName = "input.safetensors"

func isTyped(_ error: any Error) -> Bool { error is CheckpointError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try SafeTensors.read(inputFile(bytes, named: inputName))
}
