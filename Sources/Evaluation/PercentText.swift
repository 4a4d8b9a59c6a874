// How every report, printed summary and command writes a share, so that one figure reads the same
// in the HTML report, the demo's last lines and `rlhf evaluate`: one decimal of a percent, and a
// win rate followed by its interval in brackets.
import Foundation

public enum PercentText {
    /// "81.0%".
    public static func of(_ share: Double) -> String { String(format: "%.1f%%", 100 * share) }

    /// "81.0% [76.9%, 84.6%]".
    public static func of(_ share: Double, between lower: Double, and upper: Double) -> String {
        "\(of(share)) [\(of(lower)), \(of(upper))]"
    }

    /// A comparison's win rate with the interval it reports (`winRateInterval`), or that there
    /// was nothing to count.
    public static func of(_ comparison: PolicyComparison) -> String { of(comparison.record, interval: comparison.groupedInterval) }

    /// A count's win rate with its grouped interval when there is one, else Wilson's.
    public static func of(_ count: WinCount, interval: GroupedWinRateInterval?) -> String {
        guard let interval, count.prompts > 0 else { return of(count) }
        return of(count.winRate, between: interval.lowerBound, and: interval.upperBound)
    }

    /// A count's win rate with its Wilson interval, or that there was nothing to count.
    public static func of(_ count: WinCount) -> String {
        guard count.prompts > 0 else { return "n/a (no prompts)" }
        let interval = count.interval()
        return of(count.winRate, between: interval.lowerBound, and: interval.upperBound)
    }
}
