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
            note(String(format: "normalised on reference-policy samples: gain %.4f, bias %.4f", gain, bias))
        }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
    }
}
