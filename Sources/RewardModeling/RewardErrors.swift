// The named errors of reward modelling: a model folder that is not a reward model, data that
// cannot be trained on, settings out of range.

/// A reward model that cannot be built, loaded or used as asked.
public enum RewardModelError: Error, Equatable, CustomStringConvertible {
    /// The checkpoint folder's config.json names no scalar head (a language model, not a reward model).
    case missingScalarHead(path: String)
    /// The model given as a backbone already has a scalar head.
    case alreadyHasScalarHead
    /// A fine-tuned reward model needs a GPT-2-family backbone; a Llama model takes a frozen head.
    case unsupportedBackbone(String)
    /// Prompt and response counts differ.
    case countMismatch(prompts: Int, responses: Int)
    /// A prompt + response with no token at all: there is no position to read a reward at.
    case emptySequence(row: Int)
    /// Normalisation needs samples whose rewards vary.
    case degenerateNormalization(samples: Int, standardDeviation: Double)

    public var description: String {
        switch self {
        case let .missingScalarHead(path):
            return "\(path): config.json names no scalar head (architecture GPT2ForSequenceClassification); this is not a reward model"
        case .alreadyHasScalarHead:
            return "the backbone already has a scalar head; start a reward model from a language model (SFT or pretrained)"
        case let .unsupportedBackbone(family):
            return "a fine-tuned reward model needs a GPT-2-family backbone, not \(family); train a head on a frozen Llama backbone with --model FILE.gguf"
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
    /// A file line that cannot be used.
    case malformedLine(path: String, line: Int, field: String?, reason: String)

    public var description: String {
        switch self {
        case let .invalidComparison(index, field, reason):
            return "comparison \(index): \(field) \(reason)"
        case let .empty(source):
            return "\(source): holds no comparisons"
        case let .malformedLine(path, line, field, reason):
            return "\(path):\(line): \(field.map { "field \"\($0)\" " } ?? "")\(reason)"
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
