// Wall-clock measurement for the benchmark: repeated runs after a warm-up, reported as
// median/min/max, and the machine's load so readers can judge how noisy a run was.
import Foundation
import Kernels

struct Measurement {
    let seconds: [Double]
    var median: Double { seconds.sorted()[seconds.count / 2] }
    var minimum: Double { seconds.min() ?? 0 }
    var maximum: Double { seconds.max() ?? 0 }
}

/// The peak resident memory of this process image, in MB: /proc/self/status's VmHWM, which starts
/// afresh at exec. getrusage's ru_maxrss does not: a worker started with posix_spawn (which
/// shares the parent's memory until exec) carries the parent's peak over, so a phase launched
/// after the benchmark had touched its 1 GB bandwidth buffer reported 1,050 MB for a 224 MB run.
enum PeakMemory {
    static func megabytes() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

enum Clock {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    /// Runs `body` once to warm up, then `repetitions` timed times.
    static func measure(repetitions: Int, _ body: () throws -> Void) rethrows -> Measurement {
        try body()
        var seconds: [Double] = []
        for _ in 0..<repetitions {
            let start = now()
            try body()
            seconds.append(now() - start)
        }
        return Measurement(seconds: seconds)
    }

    /// Times `second` and then `first` in blocks, alternating three times, calling `settle`
    /// after each block of `first` (whose threads would otherwise disturb the next block).
    static func compareInBlocks(repetitions: Int, settle: () -> Void, _ first: () throws -> Void, _ second: () throws -> Void) rethrows -> (Measurement, Measurement) {
        var a: [Double] = [], b: [Double] = []
        let block = max(1, repetitions / 3)
        for _ in 0..<3 {
            b += try measure(repetitions: block, second).seconds
            a += try measure(repetitions: block, first).seconds
            settle()
        }
        return (Measurement(seconds: a), Measurement(seconds: b))
    }

    /// Times two bodies alternately so both see the same machine conditions.
    static func compare(repetitions: Int, _ first: () throws -> Void, _ second: () throws -> Void) rethrows -> (Measurement, Measurement) {
        try first()
        try second()
        var a: [Double] = [], b: [Double] = []
        for _ in 0..<repetitions {
            var start = now()
            try first()
            a.append(now() - start)
            start = now()
            try second()
            b.append(now() - start)
        }
        return (Measurement(seconds: a), Measurement(seconds: b))
    }
}

enum MachineLoad {
    /// The 1-minute load average, from /proc/loadavg.
    static var oneMinute: Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
              let first = text.split(separator: " ").first else { return .nan }
        return Double(first) ?? .nan
    }

    static var summary: String {
        _ = BLASSetup.once
        return "load average \(String(format: "%.2f", oneMinute)) on \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS \(BLASSetup.coreName) kernels"
    }
}

/// Fixed-width table rows for terminal output.
struct Table {
    let columns: [(title: String, width: Int)]

    func header() -> String {
        row(columns.map(\.title)) + "\n" + String(repeating: "-", count: columns.reduce(0) { $0 + $1.width + 2 })
    }

    func row(_ cells: [String]) -> String {
        zip(columns, cells).map { column, cell in
            cell.count >= column.width ? cell : cell + String(repeating: " ", count: column.width - cell.count)
        }.joined(separator: "  ")
    }
}

func format(_ value: Double, _ digits: Int = 2) -> String {
    String(format: "%.\(digits)f", value)
}
