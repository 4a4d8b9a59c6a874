// A general JSON reader for tokenizer.json and tokenizer_config.json: the whole document as a tree
// that keeps member order and duplicate keys, walked through `JSONField`, which knows its own path
// in the document (`pre_tokenizer.pretokenizers[0].type`) so that every error can name the field.

/// A JSON value; numbers keep their text, so that ids are read exactly and huge values (transformers'
/// `model_max_length`) cost nothing until asked for.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order, duplicates kept (the reader that asks for a key refuses them).
    case object([JSONMember])
}

struct JSONMember: Equatable {
    var key: String
    var value: JSONValue
}

extension JSONValue {
    /// The document in `bytes`; `path` names the file in errors.
    init(parsing bytes: [UInt8], path: String) throws(TokenizationError) {
        var parser = TreeParser(scanner: JSONScanner(bytes: bytes, path: path))
        self = try parser.document()
    }
}

/// A recursive-descent parser for any JSON document.
private struct TreeParser {
    /// Bounds the recursion, so that a hostile file is an error rather than a stack overflow.
    static let maximumDepth = 256

    var scanner: JSONScanner
    var depth = 0

    mutating func document() throws(TokenizationError) -> JSONValue {
        scanner.skipWhitespace()
        let root = try value()
        scanner.skipWhitespace()
        guard scanner.peek() == nil else { throw scanner.failure("unexpected text after the JSON value") }
        return root
    }

    private mutating func value() throws(TokenizationError) -> JSONValue {
        switch scanner.peek() {
        case UInt8(ascii: "{"): return .object(try container(close: UInt8(ascii: "}"), name: "member") { parser throws(TokenizationError) in
            let key = try parser.scanner.string(expected: "expected a quoted key")
            parser.scanner.skipWhitespace()
            try parser.scanner.expect(UInt8(ascii: ":"), "expected ':' after a key")
            parser.scanner.skipWhitespace()
            return JSONMember(key: key, value: try parser.value())
        })
        case UInt8(ascii: "["): return .array(try container(close: UInt8(ascii: "]"), name: "element") { parser throws(TokenizationError) in
            try parser.value()
        })
        case UInt8(ascii: "\""): return .string(try scanner.string(expected: "expected a string"))
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case nil: throw scanner.failure("expected a JSON value, found the end of the file")
        case let byte?:
            guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw scanner.failure("expected a JSON value")
            }
            return .number(try number())
        }
    }

    /// The items of an object or array whose opening bracket is at the current position.
    private mutating func container<Item>(
        close: UInt8, name: String, item: (inout TreeParser) throws(TokenizationError) -> Item
    ) throws(TokenizationError) -> [Item] {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw scanner.failure("nested deeper than \(Self.maximumDepth) levels") }
        scanner.position += 1
        scanner.skipWhitespace()
        var items: [Item] = []
        if scanner.peek() == close {
            scanner.position += 1
            return items
        }
        while true {
            scanner.skipWhitespace()
            items.append(try item(&self))
            scanner.skipWhitespace()
            if scanner.peek() == close {
                scanner.position += 1
                return items
            }
            try scanner.expect(UInt8(ascii: ","), "expected ',' or '\(Unicode.Scalar(close))' after an \(name)")
        }
    }

    private mutating func literal(_ text: String, _ value: JSONValue) throws(TokenizationError) -> JSONValue {
        guard scanner.bytes[scanner.position...].starts(with: text.utf8) else { throw scanner.failure("expected a JSON value") }
        scanner.position += text.utf8.count
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as text.
    private mutating func number() throws(TokenizationError) -> String {
        let start = scanner.position
        func digits(_ scanner: inout JSONScanner) -> Int {
            let first = scanner.position
            while let byte = scanner.peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { scanner.position += 1 }
            return scanner.position - first
        }
        if scanner.peek() == UInt8(ascii: "-") { scanner.position += 1 }
        let integerStart = scanner.position
        let integerDigits = digits(&scanner)
        guard integerDigits > 0, integerDigits == 1 || scanner.bytes[integerStart] != UInt8(ascii: "0") else {
            throw scanner.failure("malformed number", at: start)
        }
        if scanner.peek() == UInt8(ascii: ".") {
            scanner.position += 1
            guard digits(&scanner) > 0 else { throw scanner.failure("malformed number", at: start) }
        }
        if let byte = scanner.peek(), byte | 0x20 == UInt8(ascii: "e") {
            scanner.position += 1
            if let sign = scanner.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { scanner.position += 1 }
            guard digits(&scanner) > 0 else { throw scanner.failure("malformed number", at: start) }
        }
        return String(decoding: scanner.bytes[start..<scanner.position], as: UTF8.self)
    }
}

/// A value together with the file it came from and its path in the document, for errors that
/// name the field at fault.
struct JSONField {
    let value: JSONValue
    /// `model.vocab`, `added_tokens[2].id`; empty for the document itself.
    let name: String
    /// The file, as errors name it.
    let path: String

    /// The document in `bytes` as the root field.
    init(parsing bytes: [UInt8], path: String) throws(TokenizationError) {
        self.init(value: try JSONValue(parsing: bytes, path: path), name: "", path: path)
    }

    init(value: JSONValue, name: String, path: String) {
        self.value = value
        self.name = name
        self.path = path
    }

    func failure(_ reason: String) -> TokenizationError {
        .invalidField(path: path, field: name.isEmpty ? "(the document)" : name, reason: reason)
    }

    var isNull: Bool { value == .null }

    /// The member `key` of this object, or nil when there is none.
    func member(_ key: String) throws(TokenizationError) -> JSONField? {
        let matches = try members().filter { $0.key.utf8.elementsEqual(key.utf8) }
        guard let match = matches.first else { return nil }
        let field = JSONField(value: match.value, name: name.isEmpty ? key : name + "." + key, path: path)
        guard matches.count == 1 else { throw field.failure("appears \(matches.count) times") }
        return field
    }

    /// The member `key` of this object, which must be there.
    func required(_ key: String) throws(TokenizationError) -> JSONField {
        guard let field = try member(key) else {
            throw JSONField(value: .null, name: name.isEmpty ? key : name + "." + key, path: path).failure("is missing")
        }
        return field
    }

    /// The members of this object, in document order.
    func members() throws(TokenizationError) -> [JSONMember] {
        guard case let .object(members) = value else { throw failure("must be an object, not \(kind)") }
        return members
    }

    /// The elements of this array, each named by its index.
    func elements() throws(TokenizationError) -> [JSONField] {
        guard case let .array(elements) = value else { throw failure("must be an array, not \(kind)") }
        return elements.enumerated().map { JSONField(value: $0.element, name: "\(name)[\($0.offset)]", path: path) }
    }

    func string() throws(TokenizationError) -> String {
        guard case let .string(text) = value else { throw failure("must be a string, not \(kind)") }
        return text
    }

    func bool() throws(TokenizationError) -> Bool {
        guard case let .bool(flag) = value else { throw failure("must be true or false, not \(kind)") }
        return flag
    }

    func integer() throws(TokenizationError) -> Int {
        guard case let .number(text) = value, let integer = Int(text) else { throw failure("must be an integer, not \(kind)") }
        return integer
    }

    /// What the value is, for errors.
    var kind: String {
        switch value {
        case .null: "null"
        case let .bool(flag): "\(flag)"
        case let .number(text): text
        case let .string(text): TokenizationError.quoted(text)
        case .array: "an array"
        case .object: "an object"
        }
    }
}
