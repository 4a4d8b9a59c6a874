// Chat prompts as the model was trained to read them. SmolLM2 uses ChatML: each message is
// `<|im_start|>role\ncontent<|im_end|>\n`, and the answer starts after `<|im_start|>assistant\n`.
import Foundation

public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

public struct ChatTemplate: Sendable, Equatable {
    /// The system message the template inserts when a conversation starts without one
    /// (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    public var defaultSystemMessage: String?

    public init(defaultSystemMessage: String? = nil) {
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// Recognises a Jinja chat template (tokenizer.chat_template / tokenizer_config.json) as
    /// ChatML, reading the default system message it writes; nil for any other template, which
    /// this engine does not render.
    public init?(jinja: String) {
        guard jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>") else { return nil }
        let marker = "<|im_start|>system\n"
        if let start = jinja.range(of: marker), jinja[..<start.lowerBound].contains("messages[0]['role'] != 'system'"),
           let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) {
            defaultSystemMessage = Self.unescaped(jinja[start.upperBound..<end.lowerBound])
        } else {
            defaultSystemMessage = nil
        }
    }

    /// The template in Jinja, as tokenizer_config.json carries it for transformers.
    public var jinja: String {
        let system = defaultSystemMessage.map {
            "{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n\(Self.escaped($0))<|im_end|>\n' }}{% endif %}"
        } ?? ""
        return "{% for message in messages %}\(system){{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    }

    /// `text` inside a single-quoted Jinja string. Jinja undoes Python's backslash escapes in a
    /// string and turns a raw carriage return into a line feed, so a quote would end the string
    /// early and a backslash or a carriage return would render as something else.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The text a Jinja string's content renders as, for the escapes a system message uses;
    /// other escapes are kept as written.
    static func unescaped(_ literal: Substring) -> String {
        let escapes: [Unicode.Scalar: Unicode.Scalar] = ["\\": "\\", "'": "'", "\"": "\"", "n": "\n", "r": "\r", "t": "\t"]
        var result = "", scalars = literal.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\", let next = scalars.next() else {
                result.unicodeScalars.append(scalar)
                continue
            }
            result.unicodeScalars.append(contentsOf: escapes[next].map { [$0] } ?? [scalar, next])
        }
        return result
    }

    /// The conversation with the system message the template adds when there is none.
    public func completed(_ messages: [ChatMessage]) -> [ChatMessage] {
        guard let defaultSystemMessage, messages.first?.role != "system" else { return messages }
        return [ChatMessage(role: "system", content: defaultSystemMessage)] + messages
    }
}
