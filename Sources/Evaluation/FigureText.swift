// How a figure that may not have been measured is written: with the digits (and unit) its
// printouts always used when it was, and "n/a" when it was not, so that a missing KL never reads
// as a KL of 0; and a KL known only as an analytic upper bound says so.
import Foundation

public enum FigureText {
    /// "4.30 nats/response" (2 digits, unit " nats/response"), or "n/a" for nil.
    private static func of(_ value: Double?, digits: Int = 2, unit: String = "") -> String {
        value.map { String(format: "%.\(digits)f", $0) + unit } ?? "n/a"
    }

    /// A KL at 2 digits, or for `analyticBound` "≤ 1.84 (analytic bound)": best-of-n's
    /// log n − (n−1)/n bounds its KL from above (Beirami et al. 2024) rather than measuring it.
    public static func kl(_ value: Double?, unit: String = "", analyticBound: Bool = false) -> String {
        analyticBound ? "≤ \(of(value, unit: unit)) (analytic bound)" : of(value, unit: unit)
    }
}
