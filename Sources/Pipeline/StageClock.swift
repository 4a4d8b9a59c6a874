// A pipeline's numbered stages: each one announced when it starts, timed, and remembered for the
// report's table of stage times.
import Foundation

final class StageClock {
    let names: [String]
    private let events: (DemoEvent) -> Void
    /// Seconds each stage took in this run, in the order they ran.
    private(set) var times: [(name: String, seconds: Double)] = []

    init(names: [String], events: @escaping (DemoEvent) -> Void) {
        self.names = names
        self.events = events
    }

    /// Runs stage `index` (counted from 0; announced from 1).
    func run<T>(_ index: Int, _ body: () async throws -> T) async throws -> T {
        let name = names[index]
        events(.stageStarted(index: index + 1, count: names.count, name: name))
        let start = Date()
        let result = try await body()
        let seconds = Date().timeIntervalSince(start)
        times.append((name, seconds))
        events(.stageFinished(name: name, seconds: seconds))
        return result
    }
}
