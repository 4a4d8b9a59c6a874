// What a log file shows of a progress bar: the count against the whole job, and an ETA that a
// resumed run computes from its own pace, not from steps another process did.
import Foundation
import Reporting
import Testing

@Suite struct ProgressBarTests {
    /// Draws through a log file (not a terminal, so every forced update is one line) and returns the lines.
    private func lines(_ draw: (ProgressBar) -> Void, total: Int, initial: Int = 0) throws -> [String] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bar-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data().write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        draw(ProgressBar(title: "job", total: total, unit: "it", initial: initial, output: handle))
        try handle.close()
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aResumedBarCountsTheWholeJobAndEstimatesFromItsOwnSteps() throws {
        let drawn = try lines({ bar in
            Thread.sleep(forTimeInterval: 0.2)
            bar.update(45, force: true)
        }, total: 60, initial: 40)
        let line = try #require(drawn.first)
        #expect(line.contains(" 45/60 "))
        // Five steps took about 0.2 s, so fifteen more take about 0.6 s: the ETA rounds to 00:01 at
        // most. Counting the forty earlier steps as this run's would make it look nine times faster.
        #expect(line.contains("ETA 00:00") || line.contains("ETA 00:01"))
        let afterCount = line.components(separatedBy: " 45/60 ").last ?? ""
        let rate = try #require(Double(afterCount.prefix { $0 != " " }))
        #expect(rate > 5 && rate < 30, "5 steps in ~0.2 s, got \(rate) it/s")
    }

    @Test func aFinishedBarIsFull() throws {
        let drawn = try lines({ $0.finish() }, total: 8)
        let line = try #require(drawn.last)
        #expect(line.contains(String(repeating: "█", count: 24)) && line.contains(" 8/8 "))
    }
}
