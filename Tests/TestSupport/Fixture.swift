// Reading the committed reference fixtures (JSON written by the scripts in scripts/).
import Foundation

/// Where the package is checked out, found from this file's path, so tests read fixtures and
/// fetched data without depending on the working directory.
public enum PackageRoot {
    public static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func file(_ relativePath: String) -> URL {
        url.appendingPathComponent(relativePath)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// A tensor as the fixture scripts write it: shape and row-major values.
public struct FixtureTensor {
    public let shape: [Int]
    public let values: [Double]
    public var floats: [Float] { values.map(Float.init) }
}

/// One JSON fixture file, read by key paths such as `fixture.tensor("inputs", "x")`.
public struct Fixture {
    public let name: String
    private let root: [String: Any]

    public init(_ relativePath: String) throws {
        let url = PackageRoot.file(relativePath)
        guard let data = try? Data(contentsOf: url) else {
            throw FixtureError(description: "fixture \(url.path) is missing; regenerate it with the scripts in scripts/")
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError(description: "fixture \(url.path) is not a JSON object")
        }
        name = relativePath
        root = object
    }

    /// An engine fixture: Tests/Fixtures/engine/NAME.json.
    public init(engine name: String) throws {
        try self.init("Tests/Fixtures/engine/\(name).json")
    }

    public func value(_ path: [String]) throws -> Any {
        var current: Any = root
        for key in path {
            guard let object = current as? [String: Any], let next = object[key] else {
                throw FixtureError(description: "fixture \(name) has no \(path.joined(separator: "."))")
            }
            current = next
        }
        return current
    }

    public func tensor(_ path: String...) throws -> FixtureTensor {
        try tensor(at: path)
    }

    public func tensors(_ path: String...) throws -> [String: FixtureTensor] {
        guard let object = try value(path) as? [String: Any] else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not an object")
        }
        var result: [String: FixtureTensor] = [:]
        for key in object.keys { result[key] = try tensor(at: path + [key]) }
        return result
    }

    private func tensor(at path: [String]) throws -> FixtureTensor {
        guard let object = try value(path) as? [String: Any],
              let shape = object["shape"] as? [Int], let values = object["data"] as? [Double] else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not a tensor")
        }
        return FixtureTensor(shape: shape, values: values)
    }

    public func doubles(_ path: String...) throws -> [Double] {
        guard let values = try value(path) as? [Double] else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not a number list")
        }
        return values
    }

    public func int32s(_ path: String...) throws -> [Int32] {
        guard let values = try value(path) as? [Int] else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not an integer list")
        }
        return values.map(Int32.init)
    }

    public func int(_ path: String...) throws -> Int {
        guard let value = try value(path) as? Int else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not an integer")
        }
        return value
    }

    public func double(_ path: String...) throws -> Double {
        guard let value = try value(path) as? Double else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not a number")
        }
        return value
    }

    public func bool(_ path: String...) throws -> Bool {
        guard let value = try value(path) as? Bool else {
            throw FixtureError(description: "fixture \(name): \(path.joined(separator: ".")) is not a boolean")
        }
        return value
    }
}
