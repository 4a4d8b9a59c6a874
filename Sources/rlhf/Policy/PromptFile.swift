// Prompts from a file: one per line, or JSONL objects with a "prompt" field.
import ArgumentParser
import Foundation

enum PromptFile {
    static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): file not found") }
        var prompts: [String] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            if text.hasPrefix("{") {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let prompt = object["prompt"] as? String else {
                    throw ValidationError("\(path):\(index + 1): a JSON line needs a string field \"prompt\"")
                }
                prompts.append(prompt)
            } else {
                prompts.append(String(line))
            }
        }
        guard !prompts.isEmpty else { throw ValidationError("\(path): holds no prompts") }
        return prompts
    }
}
