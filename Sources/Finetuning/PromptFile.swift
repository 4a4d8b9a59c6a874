// Prompts from a file, for evaluation and scoring: one per line, or JSONL objects with a "prompt"
// field, mixed freely.
import Foundation
import TextFiles

public enum PromptFile {
    /// Every non-blank line's prompt: a line starting with `{` must be a JSON object with a string
    /// "prompt"; any other line is a prompt as it is.
    public static func read(_ url: URL) throws(DataError) -> [String] {
        var prompts: [String] = []
        for (index, line) in try DataFile.text(of: url).fileLines.enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            if text.hasPrefix("{") {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let prompt = object["prompt"] as? String else {
                    throw .malformedLine(path: url.path, line: index + 1, reason: "a JSON line needs a string field \"prompt\"")
                }
                prompts.append(prompt)
            } else {
                prompts.append(String(line))
            }
        }
        guard !prompts.isEmpty else { throw .empty(path: url.path) }
        return prompts
    }
}
