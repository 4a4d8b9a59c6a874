// Text files decoded strictly: a lenient decoding turns bad bytes into U+FFFD, so a file in
// another encoding would train or score as text nobody wrote. The error names the line.

/// Where a file's bytes stop being UTF-8.
public struct InvalidUTF8: Error, Equatable, Sendable {
    /// The 1-based line (counting LF breaks) that holds the first bad byte.
    public let line: Int
    /// The 1-based position of that byte within its line, counted in bytes.
    public let column: Int
    /// The byte itself.
    public let byte: UInt8

    public init(line: Int, column: Int, byte: UInt8) {
        self.line = line
        self.column = column
        self.byte = byte
    }

    /// The words for an error message, after the file and line.
    public var reason: String {
        "not UTF-8 text: the byte 0x\(String(byte, radix: 16, uppercase: true)), byte \(column) of the line, starts no valid UTF-8 character"
    }
}

public enum UTF8Text {
    /// `bytes` as a string, or the place of the first byte that is not part of a UTF-8 character.
    public static func decode(_ bytes: some Collection<UInt8>) throws(InvalidUTF8) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        throw firstInvalidByte(in: Array(bytes))
    }

    private static func firstInvalidByte(in bytes: [UInt8]) -> InvalidUTF8 {
        var line = 1, lineStart = 0, offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar):
                if scalar == "\n" {
                    line += 1
                    lineStart = offset + 1
                }
                offset += UTF8.width(scalar)
            case .emptyInput:
                // Unreachable when String(validating:) refused the bytes; a place past the end is still honest.
                return InvalidUTF8(line: line, column: offset - lineStart + 1, byte: 0)
            case .error:
                return InvalidUTF8(line: line, column: offset - lineStart + 1, byte: bytes[offset])
            }
        }
    }
}
