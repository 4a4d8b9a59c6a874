// GPT-2's pre-tokenization as a hand-written scanner over UTF-8: the same pieces as the pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// under Python `regex` / tiktoken semantics, at a fraction of a backtracking engine's cost.

/// The character classes GPT-2's pattern distinguishes.
enum ScalarClass: UInt8, Sendable {
    /// `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo.
    case letter
    /// `\p{N}`: general categories Nd, Nl, No.
    case number
    /// `\s`: the Unicode White_Space property (so U+001C…U+001F and U+200B are not whitespace).
    case whitespace
    /// Everything else, combining marks included.
    case other

    init(_ scalar: Unicode.Scalar) {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = scalar.properties.isWhitespace ? .whitespace : .other
        }
    }

    /// Classes of U+0000…U+FFFF, computed once: the property lookups dominate scanning otherwise.
    static let basicMultilingualPlane: [ScalarClass] = (0..<0x1_0000).map { value in
        Unicode.Scalar(UInt32(value)).map(ScalarClass.init) ?? .other
    }
}

/// Finds the pre-tokenization pieces of valid UTF-8 text.
///
/// At each position the pattern's alternatives are tried in order, which decides the subtle cases:
/// contractions are lower-case ASCII only (`'S` is punctuation followed by a letter); one ASCII
/// space joins the word, number or punctuation run after it; and a run of whitespace before a
/// non-space gives back its last scalar (`\s+(?!\S)`), so `"   word"` splits as `"  "`, `" word"`.
struct PieceScanner {
    private let text: UnsafeBufferPointer<UInt8>
    private let classes = ScalarClass.basicMultilingualPlane

    /// `text` must be valid UTF-8 (any Swift string's bytes are).
    init(_ text: UnsafeBufferPointer<UInt8>) {
        self.text = text
    }

    /// Calls `body` with the byte range of every piece, in order; the ranges tile the text.
    func forEachPiece(_ body: (Range<Int>) -> Void) {
        var start = 0
        while start < text.count {
            let end = pieceEnd(from: start)
            body(start..<end)
            start = end
        }
    }

    /// As `forEachPiece`, after first cutting out every number scalar as a piece of its own
    /// when `digitsApart`: GPT-2's pattern then splits each stretch between them alone.
    func forEachPiece(digitsApart: Bool, _ body: (Range<Int>) -> Void) {
        guard digitsApart else { return forEachPiece(body) }
        var stretchStart = 0, position = 0
        func flushStretch(to end: Int) {
            guard end > stretchStart else { return }
            PieceScanner(UnsafeBufferPointer(rebasing: text[stretchStart..<end])).forEachPiece { piece in
                body((piece.lowerBound + stretchStart)..<(piece.upperBound + stretchStart))
            }
        }
        while position < text.count {
            let (scalarClass, length) = classify(at: position)
            if scalarClass == .number {
                flushStretch(to: position)
                body(position..<(position + length))
                stretchStart = position + length
            }
            position += length
        }
        flushStretch(to: text.count)
    }

    /// Offsets that cut the text into parts of at least `minimumLength` bytes (except that there
    /// is only one part when the text is shorter than twice that), such that scanning each part
    /// alone finds the same pieces as scanning the whole.
    ///
    /// A cut is made only after a piece whose last scalar is not whitespace. Such a piece ends at
    /// the cut whether or not text follows, and so does every piece before it; the only pattern
    /// rule that looks further ahead, `\s+(?!\S)`, belongs to whitespace runs, which then end
    /// before the cut. Scanning has no look-behind, so the part after the cut is unaffected.
    func chunkBoundaries(minimumLength: Int) -> [Int] {
        guard text.count >= 2 * minimumLength else { return [0, text.count] }
        var boundaries = [0]
        forEachPiece { piece in
            if piece.upperBound - boundaries[boundaries.count - 1] >= minimumLength,
               text.count - piece.upperBound >= minimumLength,
               !endsInWhitespace(piece) {
                boundaries.append(piece.upperBound)
            }
        }
        boundaries.append(text.count)
        return boundaries
    }

    private func endsInWhitespace(_ piece: Range<Int>) -> Bool {
        var lastScalarStart = piece.upperBound - 1
        while lastScalarStart > piece.lowerBound && text[lastScalarStart] & 0xC0 == 0x80 { lastScalarStart -= 1 }
        return classify(at: lastScalarStart).0 == .whitespace
    }

    private func pieceEnd(from start: Int) -> Int {
        let byte = text[start]
        if byte == UInt8(ascii: "'"), let end = contractionEnd(from: start) {
            return end
        }
        let (scalarClass, length) = classify(at: start)
        if scalarClass != .whitespace {
            return runEnd(of: scalarClass, from: start + length)
        }
        if byte == UInt8(ascii: " "), start + 1 < text.count {
            let (nextClass, nextLength) = classify(at: start + 1)
            if nextClass != .whitespace {
                return runEnd(of: nextClass, from: start + 1 + nextLength)
            }
        }
        return whitespaceEnd(from: start)
    }

    /// End of `'s`, `'t`, `'m`, `'d`, `'re`, `'ve` or `'ll` starting at `start`, if one does.
    private func contractionEnd(from start: Int) -> Int? {
        guard start + 1 < text.count else { return nil }
        switch text[start + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return start + 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return start + 2 < text.count && text[start + 2] == UInt8(ascii: "e") ? start + 3 : nil
        case UInt8(ascii: "l"):
            return start + 2 < text.count && text[start + 2] == UInt8(ascii: "l") ? start + 3 : nil
        default:
            return nil
        }
    }

    /// Extends a run of `scalarClass` scalars from `position` as far as it goes.
    private func runEnd(of scalarClass: ScalarClass, from position: Int) -> Int {
        var end = position
        while end < text.count {
            let (nextClass, length) = classify(at: end)
            guard nextClass == scalarClass else { break }
            end += length
        }
        return end
    }

    /// `\s+(?!\S)` and then `\s+`: a whitespace run that reaches the end of the text is taken
    /// whole; one followed by a non-space leaves its last scalar to the next piece, unless that
    /// scalar is the whole run.
    private func whitespaceEnd(from start: Int) -> Int {
        var end = start
        var lastScalarStart = start
        while end < text.count {
            let (scalarClass, length) = classify(at: end)
            guard scalarClass == .whitespace else { break }
            lastScalarStart = end
            end += length
        }
        return end == text.count || lastScalarStart == start ? end : lastScalarStart
    }

    /// Class and UTF-8 length of the scalar starting at `position`.
    @inline(__always)
    private func classify(at position: Int) -> (ScalarClass, Int) {
        let lead = UInt32(text[position])
        if lead < 0x80 { return (classes[Int(lead)], 1) }
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard position + length <= text.count else { return (.other, text.count - position) }
        var value = lead & (0x7F >> length)
        for offset in 1..<length {
            value = value << 6 | UInt32(text[position + offset] & 0x3F)
        }
        if value < 0x1_0000 { return (classes[Int(value)], length) }
        return (Unicode.Scalar(value).map(ScalarClass.init) ?? .other, length)
    }
}
