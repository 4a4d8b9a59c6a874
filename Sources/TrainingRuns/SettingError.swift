// A refused setting named by its whole path in the configuration file. Each configuration checks
// its own fields by their own names ("batchSize"); one that holds another ("ppo") validates it
// under that name, so the error reads "ppo.batchSize", the key a person would edit.
import Optimization

/// An error about one field of a configuration.
public protocol SettingError: Error {
    /// The same error with the field's name put under `prefix`.
    func nested(under prefix: String) -> Self
}

/// Runs `validate`, naming the field of a setting it refuses under `prefix`.
public func validateSettings(under prefix: String, _ validate: () throws -> Void) throws {
    do {
        try validate()
    } catch let error as any SettingError {
        throw error.nested(under: prefix)
    }
}

extension OptimizationError: SettingError {
    public func nested(under prefix: String) -> OptimizationError {
        guard case let .invalidSetting(field, expected) = self else { return self }
        return .invalidSetting(field: "\(prefix).\(field)", expected: expected)
    }
}
