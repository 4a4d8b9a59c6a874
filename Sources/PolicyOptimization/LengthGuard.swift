// A guard against length gaming. Judges built from word ratings, and reward models trained on
// their rankings, favour a few strong words over a sentence, so an unleashed policy learns to
// answer in three; the KL leash alone lets the length drift by a third before it bites.
import Optimization

/// Holds responses near the length the run started at: a response whose token count is off the
/// anchor by more than `tolerance` of it loses `coefficient` per unit of relative excess.
public struct LengthGuard: Codable, Sendable, Equatable {
    /// The free band around the anchor, relative (0.2: ±20%).
    public var tolerance = 0.2
    public var coefficient = 1.0
    /// The anchor in tokens; nil anchors to the mean length of the first iteration's responses,
    /// which the starting policy sampled.
    public var referenceLength: Double?

    public init(tolerance: Double = 0.2, coefficient: Double = 1, referenceLength: Double? = nil) {
        self.tolerance = tolerance
        self.coefficient = coefficient
        self.referenceLength = referenceLength
    }

    func validate() throws {
        guard tolerance >= 0, coefficient >= 0, referenceLength.map({ $0 > 0 }) ?? true else {
            throw OptimizationError.invalidSetting(field: "lengthGuard", expected: "tolerance ≥ 0, coefficient ≥ 0 and a positive referenceLength")
        }
    }

    /// What a response of `length` tokens loses against an anchor of `anchor` tokens.
    public func penalty(length: Int, anchor: Double) -> Double {
        let excess = abs(Double(length) / anchor - 1) - tolerance
        return excess > 0 ? coefficient * excess : 0
    }
}
