// Seeded damage to valid files, for the tests that every parser of outside input either reads a
// damaged file or refuses it with its own typed error: never a trap, a hang or a huge allocation.
// The same seed gives the same mutants, so a failure names an input that can be made again.
import Foundation
import Randomness

/// One damaged input and how it was made, for the failure message.
public struct Mutant: Sendable {
    public let bytes: [UInt8]
    public let operation: String
}

public enum Mutations {
    /// Integers a corrupt length, count or offset field tends to hold, little-endian.
    static let hugeIntegers: [[UInt8]] = [
        little(UInt64.max), little(UInt64(Int64.max)), little(UInt64(1) << 63), little(UInt64(1) << 40),
        little(UInt32.max), little(UInt32(Int32.max)), little(UInt32(1) << 31), little(UInt16.max),
    ]
    /// Replacements for a JSON number: too large for any integer, negative, fractional, overflowing a Double.
    static let hostileNumbers = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999",
        "-1", "0", "1.5", "1e400", "-0", "4294967296",
    ]
    /// Byte sequences that are not UTF-8: a stray continuation byte, a truncated sequence, an
    /// encoded surrogate, an overlong NUL, bytes never used, and an escaped lone surrogate.
    static let invalidUTF8: [[UInt8]] = [[0x80], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xFF, 0xFE], Array(#"\ud800"#.utf8)]

    static func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// Mutants of `original`: truncations at every offset (at most `truncations`, evenly spread),
    /// huge integers written over the first `headerBytes` at every 4-byte step, deep nesting, and
    /// `randomEdits` seeded edits (bit flips, inserted, deleted and duplicated bytes, huge
    /// integers, hostile numbers and invalid UTF-8 at random places).
    public static func of(
        _ original: [UInt8], seed: UInt64, randomEdits: Int = 1_000, truncations: Int = 1_000, headerBytes: Int = 0
    ) -> [Mutant] {
        var mutants: [Mutant] = []
        let step = max(1, original.count / max(1, truncations))
        for length in stride(from: 0, to: original.count, by: step) {
            mutants.append(Mutant(bytes: Array(original.prefix(length)), operation: "truncated to \(length) bytes"))
        }
        for offset in stride(from: 0, to: min(headerBytes, original.count), by: 4) {
            for value in hugeIntegers where offset + value.count <= original.count {
                var bytes = original
                bytes.replaceSubrange(offset..<(offset + value.count), with: value)
                mutants.append(Mutant(bytes: bytes, operation: "\(value.count)-byte integer \(value) at byte \(offset)"))
            }
        }
        for depth in [300, 100_000] {
            let nested = Array(repeating: UInt8(ascii: "["), count: depth) + original + Array(repeating: UInt8(ascii: "]"), count: depth)
            mutants.append(Mutant(bytes: nested, operation: "wrapped in \(depth) brackets"))
            mutants.append(Mutant(bytes: Array(String(repeating: #"{"a":"#, count: depth).utf8), operation: "\(depth) nested objects"))
        }
        var random = RandomGenerator(seed: seed)
        for _ in 0..<randomEdits {
            mutants.append(edit(original, &random))
        }
        return mutants
    }

    /// One to four seeded edits of `original`.
    static func edit(_ original: [UInt8], _ random: inout RandomGenerator) -> Mutant {
        var bytes = original
        var operations: [String] = []
        for _ in 0...random.integer(in: 0..<4) {
            let at = random.integer(in: 0..<(bytes.count + 1))
            switch random.integer(in: 0..<8) {
            case 0 where at < bytes.count:
                let bit = random.integer(in: 0..<8)
                bytes[at] ^= 1 << bit
                operations.append("bit \(bit) of byte \(at) flipped")
            case 1:
                let byte = UInt8(truncatingIfNeeded: random.next())
                bytes.insert(byte, at: at)
                operations.append("byte \(byte) inserted at \(at)")
            case 2 where at < bytes.count:
                let end = min(bytes.count, at + 1 + random.integer(in: 0..<16))
                bytes.removeSubrange(at..<end)
                operations.append("bytes \(at)..<\(end) deleted")
            case 3 where at < bytes.count:
                let end = min(bytes.count, at + 1 + random.integer(in: 0..<64))
                bytes.insert(contentsOf: bytes[at..<end], at: end)
                operations.append("bytes \(at)..<\(end) repeated")
            case 4:
                let value = hugeIntegers[random.integer(in: 0..<hugeIntegers.count)]
                let end = min(bytes.count, at + value.count)
                bytes.replaceSubrange(at..<end, with: value)
                operations.append("integer \(value) written at \(at)")
            case 5:
                let number = hostileNumbers[random.integer(in: 0..<hostileNumbers.count)]
                if let digits = numberRange(in: bytes, near: at) {
                    bytes.replaceSubrange(digits, with: Array(number.utf8))
                    operations.append("number at \(digits.lowerBound) replaced by \(number)")
                }
            case 6:
                let sequence = invalidUTF8[random.integer(in: 0..<invalidUTF8.count)]
                bytes.insert(contentsOf: sequence, at: at)
                operations.append("invalid UTF-8 \(sequence) inserted at \(at)")
            default:
                let count = 1 + random.integer(in: 0..<64)
                bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "["), count: count), at: at)
                operations.append("\(count) brackets inserted at \(at)")
            }
        }
        return Mutant(bytes: bytes, operation: operations.joined(separator: ", "))
    }

    /// The first run of ASCII digits at or after `start`, if there is one.
    static func numberRange(in bytes: [UInt8], near start: Int) -> Range<Int>? {
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard let first = bytes[start...].firstIndex(where: isDigit) else { return nil }
        let end = bytes[first...].firstIndex { !isDigit($0) } ?? bytes.count
        return first..<end
    }
}

/// What a parser did with a set of mutants: how many it read, how many it refused and with
/// which kinds of error, and what should never happen (an error of another type, a slow input).
public struct MutationReport: CustomStringConvertible {
    public let parser: String
    public private(set) var executions = 0
    public private(set) var parsed = 0
    /// Refusals by the error's case name (`malformed`, `invalidField`, ...).
    public private(set) var refusals: [String: Int] = [:]
    /// Inputs refused with an error that is not the parser's own type, with that error.
    public private(set) var untypedErrors: [(operation: String, error: String)] = []
    /// Refusals whose message does not name the input, with the message.
    public private(set) var unnamedErrors: [(operation: String, error: String)] = []
    public private(set) var slowest: (operation: String, seconds: Double) = ("", 0)

    /// Runs `parse` on every mutant. `isTyped` says whether an error is the parser's own; a
    /// typed error's description must contain `name`, the path or source the parser was given.
    public static func run(
        _ parser: String, mutants: [Mutant], name: String,
        isTyped: (any Error) -> Bool, parse: ([UInt8]) throws -> Void
    ) -> MutationReport {
        var report = MutationReport(parser: parser)
        for mutant in mutants {
            let start = ContinuousClock.now
            do {
                try parse(mutant.bytes)
                report.parsed += 1
            } catch {
                let message = "\(error)"
                if !isTyped(error) {
                    report.untypedErrors.append((mutant.operation, "\(type(of: error)): \(message)"))
                } else if !message.contains(name) {
                    report.unnamedErrors.append((mutant.operation, message))
                }
                report.refusals[caseName(of: error), default: 0] += 1
            }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            if seconds > report.slowest.seconds { report.slowest = (mutant.operation, seconds) }
            report.executions += 1
        }
        return report
    }

    init(parser: String) {
        self.parser = parser
    }

    /// `malformed` for `CheckpointError.malformed(path: ..., reason: ...)`; the type name for a struct error.
    static func caseName(of error: any Error) -> String {
        let mirror = Mirror(reflecting: error)
        guard mirror.displayStyle == .enum else { return "\(type(of: error))" }
        return mirror.children.first?.label ?? "\(error)".prefix { $0 != "(" }.description
    }

    public var description: String {
        let kinds = refusals.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "\(parser): \(executions) inputs, \(parsed) read, \(executions - parsed) refused (\(kinds)); "
            + "slowest \(String(format: "%.1f", slowest.seconds * 1000)) ms (\(slowest.operation))"
    }
}
