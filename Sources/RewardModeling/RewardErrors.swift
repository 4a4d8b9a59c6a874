// The named errors of reward modelling: a model folder that is not a reward model, data that
// cannot be trained on, settings out of range.

import TrainingRuns

/// A reward model that cannot be built, loaded or used as asked.
public enum RewardModelError: Error, Equatable, CustomStringConvertible {
    /// The checkpoint folder's config.json names no scalar head (a language model, not a reward model).
    case missingScalarHead(path: String)
    /// A head whose width is not the backbone's hidden size.
    case headWidth(head: Int, backbone: Int)
    /// A frozen backbone that was not read from a file the reward model's folder could name.
    case frozenBackboneWithoutFile
    /// Prompt and response counts differ.
    case countMismatch(prompts: Int, responses: Int)
    /// A prompt + response with no token at all: there is no position to read a reward at.
    case emptySequence(row: Int)
    /// Normalisation needs samples whose rewards vary.
    case degenerateNormalization(samples: Int, standardDeviation: Double)

    public var description: String {
        switch self {
        case let .missingScalarHead(path):
            return "\(path): config.json names no scalar head (a *ForSequenceClassification architecture or frozen_backbone); this is not a reward model"
        case let .headWidth(head, backbone):
            return "a scalar head of width \(head) cannot read a backbone of hidden size \(backbone)"
        case .frozenBackboneWithoutFile:
            return "a frozen backbone must be read from a file (GGUF or model folder), which the reward model's folder refers to"
        case let .countMismatch(prompts, responses):
            return "\(prompts) prompts but \(responses) responses; give one response per prompt"
        case let .emptySequence(row):
            return "row \(row): prompt and response are both empty; there is no token to read a reward at"
        case let .degenerateNormalization(samples, deviation):
            return "cannot normalise on \(samples) samples whose rewards have standard deviation \(deviation); give at least two samples with different rewards"
        }
    }
}

/// Comparisons or labelled texts that cannot be used.
public enum RewardDataError: Error, Equatable, CustomStringConvertible {
    /// Comparison `index` (0-based, in the order given) is malformed.
    case invalidComparison(index: Int, field: String, reason: String)
    /// A source held nothing to train or evaluate on.
    case empty(source: String)
    /// A file line that cannot be used (line 0: the file as a whole).
    case malformedLine(path: String, line: Int, field: String?, reason: String)

    public var description: String {
        switch self {
        case let .invalidComparison(index, field, reason):
            return "comparison \(index): \(field) \(reason)"
        case let .empty(source):
            return "\(source): holds no comparisons"
        case let .malformedLine(path, line, field, reason):
            return "\(line > 0 ? "\(path):\(line)" : path): \(field.map { "field \"\($0)\" " } ?? "")\(reason)"
        }
    }
}

/// A reward-training setting out of range, or a run that diverged.
public enum RewardTrainingError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(field: String, expected: String)
    case nonFinite(step: Int, quantity: String)

    public var description: String {
        switch self {
        case let .invalidSetting(field, expected):
            return "reward training setting \(field): expected \(expected)"
        case let .nonFinite(step, quantity):
            return "the \(quantity) became NaN or infinite at step \(step): lower the learning rate or check the data"
        }
    }
}

extension RewardTrainingError: SettingError {
    public func nested(under prefix: String) -> RewardTrainingError {
        guard case let .invalidSetting(field, expected) = self else { return self }
        return .invalidSetting(field: "\(prefix).\(field)", expected: expected)
    }
}
