// Training-data files of one JSON object per line (TRL's dataset formats), read with errors that
// name the file, the line and the field: shared by the demonstration and preference readers.
import Foundation
import LanguageModeling
import TextFiles

/// Why one line cannot be read; the reader adds the file and line.
package struct JSONLineError: Error {
    package let reason: String

    package init(_ reason: String) {
        self.reason = reason
    }
}

package enum JSONObjectLines {
    /// Every non-blank line of `url` as a JSON object, turned into a value by `parse` (given the
    /// line's place, for errors found later, when the examples are tokenized); a file that is not
    /// UTF-8, a line that is not an object, or one that `parse` rejects fails the whole read
    /// naming the line.
    package static func read<Value>(_ url: URL, _ parse: ([String: Any], DataLocation) throws(JSONLineError) -> Value) throws -> [Value] {
        var values: [Value] = []
        for (index, line) in try DataFile.text(of: url).fileLines.enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            do throws(JSONLineError) {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                    throw JSONLineError("not a JSON object")
                }
                values.append(try parse(object, DataLocation(path: url.path, line: index + 1)))
            } catch {
                throw DataError.malformedLine(path: url.path, line: index + 1, reason: error.reason)
            }
        }
        guard !values.isEmpty else { throw DataError.empty(path: url.path) }
        return values
    }

    /// Messages as [{"role": "system" | "user" | "assistant", "content": text}].
    package static func messages(_ value: Any, field: String) throws(JSONLineError) -> [ChatMessage] {
        guard let list = value as? [[String: Any]] else { throw JSONLineError("field \"\(field)\" must be a string or a list of messages") }
        var messages: [ChatMessage] = []
        for (index, message) in list.enumerated() {
            guard let role = message["role"] as? String, ["system", "user", "assistant"].contains(role) else {
                throw JSONLineError("\(field)[\(index)].role must be \"system\", \"user\" or \"assistant\"")
            }
            guard let content = message["content"] as? String else { throw JSONLineError("\(field)[\(index)].content is missing or not a string") }
            messages.append(ChatMessage(role: role, content: content))
        }
        return messages
    }

    /// A conversation before an answer split into its last turn, which must be the user's, and
    /// the turns before it.
    package static func lastUserTurn(of turns: [ChatMessage], field: String) throws(JSONLineError) -> (prompt: String, context: [ChatMessage]) {
        guard let last = turns.last, last.role == "user" else {
            throw JSONLineError("field \"\(field)\" must end with a user message before the answer")
        }
        return (last.content, Array(turns.dropLast()))
    }
}
