// What stops preference optimisation before or while it trains, named so the message says what
// to change.

import TrainingRuns

public enum PreferenceOptimizationError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(field: String, expected: String)
    /// No pair is left to train on once ties are skipped and the held-out share is split off.
    case noTrainingPairs(source: String)
    /// A checkpoint's cursor was written for other data than this run's.
    case checkpointMismatch(reason: String)
    /// Training or evaluation asked for the reference log-probabilities before they were computed.
    case referenceMissing

    public var description: String {
        switch self {
        case let .invalidSetting(field, expected): return "setting \(field) must be \(expected)"
        case let .noTrainingPairs(source): return "\(source): no preference pairs to train on (ties are skipped, and one prompt in heldOutPeriod is held out)"
        case let .checkpointMismatch(reason):
            return "the checkpoint does not belong to this data (\(reason)); resume with the data the run started with, or start a new run"
        case .referenceMissing:
            return "the reference log-probabilities have not been computed; prepare(model:) computes them from the starting policy before the first step"
        }
    }
}

extension PreferenceOptimizationError: SettingError {
    public func nested(under prefix: String) -> PreferenceOptimizationError {
        guard case let .invalidSetting(field, expected) = self else { return self }
        return .invalidSetting(field: "\(prefix).\(field)", expected: expected)
    }
}
