// Learning-rate schedules: linear warmup, then cosine decay to a floor.
#if canImport(Glibc)
import Glibc
#endif

public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    /// The rate the cosine settles at after `totalSteps`.
    public var minimum: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimum = minimum
    }

    /// A constant rate.
    public static func constant(_ rate: Float) -> LearningRateSchedule {
        LearningRateSchedule(peak: rate, warmupSteps: 0, totalSteps: 0, minimum: rate)
    }

    /// The rate for 0-based `step`: (step + 1)/warmup·peak during warmup, then
    /// minimum + ½(1 + cos(π·progress))·(peak − minimum), and `minimum` after the last step.
    /// Without a decay phase (totalSteps ≤ warmupSteps) the rate stays at `peak`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        guard totalSteps > warmupSteps else { return peak }
        if step >= totalSteps { return minimum }
        let progress = Float(step - warmupSteps) / Float(totalSteps - warmupSteps)
        return minimum + 0.5 * (1 + cos(Float.pi * progress)) * (peak - minimum)
    }
}
