// The lexical layer both JSON readers share (the vocabulary file's and tokenizer.json's): whitespace,
// expected bytes, strings with every JSON escape, errors located by line and byte column; and the
// string writer of every JSON file this module writes.

/// A read position in JSON text.
struct JSONScanner {
    /// The byte each one-letter escape stands for.
    private static let simpleEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
        UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    let bytes: [UInt8]
    let path: String
    var position = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    mutating func expect(_ byte: UInt8, _ reason: String) throws(TokenizationError) {
        guard peek() == byte else { throw failure(reason) }
        position += 1
    }

    /// A quoted string; `reason` is the error when there is no opening quote.
    mutating func string(expected reason: String) throws(TokenizationError) -> String {
        try expect(UInt8(ascii: "\""), reason)
        let start = position - 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure("unterminated string", at: start) }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw failure("string is not valid UTF-8", at: start)
                }
                return text
            case UInt8(ascii: "\\"): try escape(into: &utf8)
            case ..<0x20: throw failure("control character in a string must be escaped", at: position - 1)
            default: utf8.append(byte)
            }
        }
    }

    private mutating func escape(into utf8: inout [UInt8]) throws(TokenizationError) {
        guard let byte = peek() else { throw failure("unterminated escape") }
        position += 1
        if let value = Self.simpleEscapes[byte] {
            utf8.append(value)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw failure("unknown escape '\\\(Unicode.Scalar(byte))'", at: position - 2) }
        var value = try hexQuad()
        if (0xD800..<0xDC00).contains(value) {
            guard bytes[position...].starts(with: Array(#"\u"#.utf8)) else {
                throw failure("high surrogate not followed by a low surrogate")
            }
            position += 2
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw failure("high surrogate not followed by a low surrogate") }
            value = 0x10000 + (value - 0xD800) << 10 + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else { throw failure("lone surrogate in \\u escape") }
        utf8.append(contentsOf: String(scalar).utf8)
    }

    private mutating func hexQuad() throws(TokenizationError) -> UInt32 {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { throw failure("\\u must be followed by four hexadecimal digits") }
        position += 4
        return value
    }

    /// An error located at `offset` (the current position by default), as line and byte column.
    func failure(_ reason: String, at offset: Int? = nil) -> TokenizationError {
        let offset = min(offset ?? position, bytes.count)
        let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let line = 1 + bytes[..<offset].count { $0 == UInt8(ascii: "\n") }
        return .malformedJSON(path: path, line: line, column: offset - lineStart + 1, reason: reason)
    }
}

/// Appends `text` as a JSON string: escapes what JSON requires (quote, backslash, control
/// characters) and writes the rest as UTF-8, as Python's `json.dumps(..., ensure_ascii=False)` does.
func appendJSONString(_ text: String, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): output.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): output.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): output.append(contentsOf: #"\t"#.utf8)
        case ..<0x20:
            let hex = String(byte, radix: 16)
            output.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
        default: output.append(byte)
        }
    }
    output.append(UInt8(ascii: "\""))
}
