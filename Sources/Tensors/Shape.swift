// Tensor shapes: dimension lists with the element counts and descriptions errors need.

/// The dimensions of a row-major tensor, outermost first. A scalar has no dimensions.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public let dimensions: [Int]

    public init(_ dimensions: [Int]) {
        precondition(dimensions.allSatisfy { $0 >= 0 }, "negative dimension in shape \(dimensions)")
        self.dimensions = dimensions
    }

    public init(arrayLiteral dimensions: Int...) {
        self.init(dimensions)
    }

    public static let scalar = Shape([])

    public var rank: Int { dimensions.count }

    /// Number of elements.
    public var elementCount: Int { dimensions.reduce(1, *) }

    public subscript(axis: Int) -> Int { dimensions[axis] }

    /// The innermost dimension (1 for a scalar).
    public var last: Int { dimensions.last ?? 1 }

    /// Elements before the innermost dimension: the number of rows of a row-wise op.
    public var rows: Int { rank == 0 ? 1 : elementCount / max(last, 1) }

    /// This shape without its innermost dimension.
    public var droppingLast: Shape { Shape(Array(dimensions.dropLast())) }

    /// This shape with the innermost dimension replaced.
    public func replacingLast(with size: Int) -> Shape {
        Shape(Array(dimensions.dropLast()) + [size])
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }
}
