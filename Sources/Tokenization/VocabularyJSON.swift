// The vocabulary file (vocab.json / encoder.json): a JSON object from token spelling to id.
// Read by a small dedicated parser, so that errors can name the line and column, key order is
// kept and duplicate keys are caught; written one entry per line in id order.

/// Reads and writes the one JSON shape a vocabulary file has.
enum VocabularyJSON {
    /// One `"spelling": id` member of the object.
    struct Entry: Equatable {
        var spelling: String
        var id: Int
    }

    /// The members of the JSON object in `bytes`, in file order. Ids may be any integer here; the
    /// caller decides which are valid.
    static func entries(in bytes: [UInt8], path: String) throws(TokenizationError) -> [Entry] {
        var parser = Parser(scanner: JSONScanner(bytes: bytes, path: path))
        return try parser.object()
    }

    /// `spellings[id]` for every id, as a JSON object with one member per line.
    static func serialized(_ spellings: [String]) -> [UInt8] {
        var output: [UInt8] = Array("{\n".utf8)
        for (id, spelling) in spellings.enumerated() {
            output.append(contentsOf: "  ".utf8)
            appendJSONString(spelling, to: &output)
            output.append(contentsOf: ": \(id)".utf8)
            output.append(contentsOf: (id == spellings.count - 1 ? "\n" : ",\n").utf8)
        }
        output.append(contentsOf: "}\n".utf8)
        return output
    }
}

/// A recursive-descent parser for `{ "string": integer, ... }`.
private struct Parser {
    var scanner: JSONScanner

    mutating func object() throws(TokenizationError) -> [VocabularyJSON.Entry] {
        scanner.skipWhitespace()
        try scanner.expect(UInt8(ascii: "{"), "the file must start with '{'")
        var entries: [VocabularyJSON.Entry] = []
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.position += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let spelling = try scanner.string(expected: "expected a quoted token string")
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: ":"), "expected ':' after a key")
                scanner.skipWhitespace()
                entries.append(VocabularyJSON.Entry(spelling: spelling, id: try integer()))
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: "}") { scanner.position += 1; break }
                try scanner.expect(UInt8(ascii: ","), "expected ',' or '}' after a value")
            }
        }
        scanner.skipWhitespace()
        guard scanner.peek() == nil else { throw scanner.failure("unexpected text after the closing '}'") }
        return entries
    }

    private mutating func integer() throws(TokenizationError) -> Int {
        let start = scanner.position
        if scanner.peek() == UInt8(ascii: "-") { scanner.position += 1 }
        while let byte = scanner.peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { scanner.position += 1 }
        let text = String(decoding: scanner.bytes[start..<scanner.position], as: UTF8.self)
        if let byte = scanner.peek(), byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "e") {
            throw scanner.failure("token ids must be integers", at: start)
        }
        guard let value = Int(text) else { throw scanner.failure("expected an integer token id", at: start) }
        return value
    }
}
