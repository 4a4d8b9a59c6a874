// How a figure that may not have been measured is written: with the digits (and unit) its
// printouts always used when it was, and "n/a" when it was not, so that a missing KL never reads
// as a KL of 0; and a KL known only as an analytic upper bound says so.
import Foundation

public enum FigureText {
    /// A KL at 2 digits with its `unit` ("4.30 nats/response"), "n/a" for nil, or for
    /// `analyticBound` "≤ 1.84 (analytic bound)": best-of-n's log n − (n−1)/n bounds its KL from
    /// above (Beirami et al. 2024) rather than measuring it.
    public static func kl(_ value: Double?, unit: String = "", analyticBound: Bool = false) -> String {
        let figure = value.map { String(format: "%.2f", $0) + unit } ?? "n/a"
        return analyticBound ? "≤ \(figure) (analytic bound)" : figure
    }
}
