// Task files for `rlhf tasks import` and the admin page's upload (Sources/FeedbackFormats): JSON
// Lines refused at the first bad line with its file, line and field.
import FeedbackFormats

let inputName = "tasks.jsonl"

func isTyped(_ error: any Error) -> Bool { error is FileFormatError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try JSONLines.read(TaskLine.self, from: inputFile(bytes, named: inputName))
}
