// The errors tensor operations throw when their arguments cannot go together.

public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two operands whose shapes do not fit the operation.
    case shapeMismatch(operation: String, Shape, Shape, expected: String)
    /// One operand whose shape does not fit the operation.
    case invalidShape(operation: String, Shape, expected: String)
    /// An index (a token id, a position) outside the range it indexes.
    case indexOutOfRange(operation: String, index: Int, bound: Int)
    /// A value count that does not match the shape it is meant to fill.
    case countMismatch(operation: String, shape: Shape, count: Int)
    /// Backward asked of a tensor that no tape recorded.
    case notRecorded(operation: String)
    /// A scalar argument outside the range the operation accepts (NaN included).
    case invalidArgument(operation: String, name: String, value: Double, expected: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, lhs, rhs, expected):
            return "\(operation): shapes \(lhs) and \(rhs) do not fit (\(expected))"
        case let .invalidShape(operation, shape, expected):
            return "\(operation): shape \(shape) is not valid (\(expected))"
        case let .indexOutOfRange(operation, index, bound):
            return "\(operation): index \(index) is outside 0..<\(bound)"
        case let .countMismatch(operation, shape, count):
            return "\(operation): \(count) values cannot fill shape \(shape) (\(shape.elementCount) elements)"
        case let .notRecorded(operation):
            return "\(operation): the tensor was not recorded on this tape"
        case let .invalidArgument(operation, name, value, expected):
            return "\(operation): \(name) \(value) is not valid (\(expected))"
        }
    }
}
