// A terminal progress bar with rate and ETA for every long job. It redraws in place on a
// terminal and prints a line every few seconds when the output is a log file or a pipe.
import Foundation

public final class ProgressBar {
    /// Set once at start-up, before any bar draws, by processes that must not draw (the
    /// data-parallel ranks other than the root, which draws the job's one bar).
    nonisolated(unsafe) public static var isSilenced = false

    private let title: String
    private let total: Int
    private let initial: Int
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let interactive: Bool
    private let minimumInterval: TimeInterval
    private let output: FileHandle

    /// - Parameters:
    ///   - total: steps in the job; the bar is full at `total`.
    ///   - unit: what the rate counts ("tok", "steps", "samples").
    ///   - initial: steps already done before this process started (a resumed run): the bar
    ///     counts from there, and the rate and ETA count only this process's steps.
    public init(title: String, total: Int, unit: String = "it", initial: Int = 0, output: FileHandle = .standardError) {
        self.title = title
        self.total = max(total, 1)
        self.initial = min(max(initial, 0), self.total)
        self.unit = unit
        self.output = output
        interactive = isatty(output.fileDescriptor) != 0
        minimumInterval = interactive ? 0.1 : 5
    }

    /// Shows `completed` of `total`; `rateCount` is what the rate counts (defaults to the steps
    /// completed by this process), e.g. tokens processed while steps complete. Redraws are throttled.
    public func update(_ completed: Int, rateCount: Double? = nil, detail: String = "", force: Bool = false) {
        let now = Date()
        guard !Self.isSilenced, force || completed >= total || now.timeIntervalSince(lastDraw) >= minimumInterval else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let fraction = min(1, Double(completed) / Double(total))
        let done = Double(completed - initial)
        let rate = elapsed > 0 ? (rateCount ?? done) / elapsed : 0
        let remaining = done > 0 ? elapsed * Double(max(total - completed, 0)) / done : .nan
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\(title) \(bar) \(completed)/\(total) \(Self.rate(rate)) \(unit)/s, elapsed \(Self.duration(elapsed)), ETA \(Self.duration(remaining))\(detail.isEmpty ? "" : " | " + detail)"
        output.write(Data(((interactive ? "\r\u{1B}[2K" : "") + line + (interactive ? "" : "\n")).utf8))
    }

    /// Draws the final state and ends the line.
    public func finish(detail: String = "") {
        update(total, detail: detail, force: true)
        if interactive && !Self.isSilenced { output.write(Data("\n".utf8)) }
    }

    static func rate(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: value >= 10 ? "%.0f" : "%.2f", value)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
