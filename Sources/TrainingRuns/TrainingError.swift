// How a training run stops when its numbers stop being numbers: the SFT trainer and PPO both
// throw it, naming the step and the quantity, so the message says what to do next.

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFinite(step: Int, quantity: String)

    public var description: String {
        switch self {
        case let .nonFinite(step, quantity):
            return "the \(quantity) became NaN or infinite at step \(step); the last checkpoint is intact: lower the learning rate or check the data, then resume"
        }
    }
}
