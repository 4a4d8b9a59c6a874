// Draws a reward trainer's events: a progress bar with loss, batch accuracy, rate and ETA, and
// a line per held-out evaluation.
import Foundation
import Reporting
import RewardModeling

final class RewardProgressView {
    private let title: String
    private var bar: ProgressBar?
    private var comparisons = 0.0

    init(title: String) {
        self.title = title
    }

    func handle(_ event: RewardTrainingEvent) {
        switch event {
        case let .started(totalSteps, count):
            note("\(title): \(count) training comparisons, \(totalSteps) steps")
            bar = ProgressBar(title: title, total: totalSteps, unit: "cmp")
        case let .stepped(report):
            comparisons += Double(report.comparisons)
            bar?.update(report.step, rateCount: comparisons, detail: String(format: "step %d loss %.4f acc %.2f lr %.2e", report.step, report.loss, report.accuracy, report.learningRate))
        case let .evaluated(step, evaluation):
            note(String(format: "step %d: held-out accuracy %.4f, loss %.4f, mean margin %.3f (%d pairs)", step, evaluation.accuracy, evaluation.loss, evaluation.meanMargin, evaluation.pairs))
        case let .normalized(gain, bias):
            note(String(format: "normalised: gain %.4f, bias %.4f", gain, bias))
        }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
    }
}

/// The backbone pass of a frozen-backbone reward model: texts read so far, counting those the
/// feature cache already held as done before this process started.
final class FeatureProgressBar {
    private let title: String
    private let unit: String
    private var bar: ProgressBar?

    init(title: String, unit: String = "text") {
        self.title = title
        self.unit = unit
    }

    func update(_ done: Int, _ total: Int) {
        if bar == nil { bar = ProgressBar(title: title, total: total, unit: unit, initial: done) }
        bar?.update(done)
        if done == total { bar?.finish() }
    }
}
