// A batch of token sequences as the model reads them: ids, positions and, for left-padded
// rows, where the real tokens begin.
import Tensors

public struct TokenBatch: Sendable, Equatable {
    public let tokens: TokenGrid
    public let positions: TokenGrid
    /// First real position of each row (earlier positions are left padding), or nil when no
    /// row is padded.
    public let firstPosition: [Int32]?

    public var batch: Int { tokens.batch }
    public var time: Int { tokens.time }

    public init(tokens: TokenGrid, positions: TokenGrid, firstPosition: [Int32]?) {
        self.tokens = tokens
        self.positions = positions
        self.firstPosition = firstPosition
    }

    /// The batch of rows `rows` only (one data-parallel rank's part of a batch).
    public func rows(_ rows: Range<Int>) -> TokenBatch {
        let first = firstPosition.map { Array($0[rows]) }
        return TokenBatch(
            tokens: tokens.rows(rows), positions: positions.rows(rows), firstPosition: first?.contains { $0 > 0 } == true ? first : nil)
    }

    /// Rows of equal length, positions counting from 0.
    public init(rows: [[Int32]]) throws {
        let time = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == time }) else {
            throw TensorError.invalidShape(operation: "TokenBatch(rows:)", [rows.count, time], expected: "rows of equal length")
        }
        self.init(
            tokens: try TokenGrid(batch: rows.count, time: time, ids: Array(rows.joined())),
            positions: .positions(batch: rows.count, time: time), firstPosition: nil)
    }

    /// Sequences of any lengths aligned at the right: shorter rows get `padding` ids in front,
    /// their positions count from their first real token, and attention ignores the padding.
    /// `droppingPrefix` leaves out the sequences' first tokens (a prefix they share, read apart):
    /// `length` counts them, and positions count on from them.
    public static func leftPadded(_ sequences: [[Int32]], padding: Int32, to length: Int? = nil, droppingPrefix dropped: Int = 0) throws -> TokenBatch {
        let sequences = dropped == 0 ? sequences : sequences.map { Array($0.dropFirst(dropped)) }
        let length = length.map { $0 - dropped }
        let time = length ?? (sequences.map(\.count).max() ?? 0)
        var ids: [Int32] = [], positions: [Int32] = [], first: [Int32] = []
        for sequence in sequences {
            guard sequence.count <= time else {
                throw TensorError.invalidShape(operation: "TokenBatch.leftPadded", [sequence.count], expected: "sequences of at most \(time) tokens")
            }
            let pad = time - sequence.count
            ids += Array(repeating: padding, count: pad) + sequence
            positions += (0..<time).map { Int32(max(0, $0 - pad) + dropped) }
            first.append(Int32(pad))
        }
        let padded = first.contains { $0 > 0 }
        return TokenBatch(
            tokens: try TokenGrid(batch: sequences.count, time: time, ids: ids),
            positions: try TokenGrid(batch: sequences.count, time: time, ids: positions),
            firstPosition: padded ? first : nil)
    }

    /// The rows with `prefix` in front of each one's real tokens, left-padded as these are.
    func withPrefix(_ prefix: [Int32]) throws -> TokenBatch {
        let first = firstPosition ?? Array(repeating: 0, count: batch)
        let padding = first.firstIndex { $0 > 0 }.map { tokens.ids[$0 * time] } ?? 0
        let rows = (0..<batch).map { b in prefix + tokens.ids[(b * time + Int(first[b]))..<((b + 1) * time)] }
        return try TokenBatch.leftPadded(rows, padding: padding, to: prefix.count + time)
    }

    /// How many leading tokens the rows read once for all (`hiddenStates(_:after:tape:)`): the
    /// tokens every sequence starts with, each keeping at least its last one, when there are
    /// several rows and at least `minimumSharedPrefix` such tokens; else 0.
    public static func sharedPrefixLength(of sequences: [[Int32]]) -> Int {
        guard sequences.count > 1, var length = sequences.map(\.count).min().map({ max(0, $0 - 1) }) else { return 0 }
        for sequence in sequences.dropFirst() {
            length = zip(sequences[0].prefix(length), sequence).prefix { $0 == $1 }.count
        }
        return length >= minimumSharedPrefix ? length : 0
    }

    /// Fewer shared tokens save less than reading the prefix apart costs.
    public static let minimumSharedPrefix = 8
}
