// TRL preference files imported into the feedback store (`rlhf tasks import` of preferences,
// Sources/FeedbackFormats): JSON Lines refused at the first bad line with its file, line and field.
import FeedbackFormats

let inputName = "preference-lines.jsonl"

func isTyped(_ error: any Error) -> Bool { error is FileFormatError }

func fuzz(_ bytes: [UInt8]) throws {
    _ = try JSONLines.read(PreferenceLine.self, from: inputFile(bytes, named: inputName))
}
