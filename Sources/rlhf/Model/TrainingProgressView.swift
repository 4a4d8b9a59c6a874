// Draws a trainer's events as a progress bar with loss, rate and ETA, plus a line per
// evaluation and checkpoint.
import Finetuning
import Foundation
import Reporting

final class TrainingProgressView {
    private let title: String
    private var bar: ProgressBar?
    private var tokens = 0.0

    init(title: String) {
        self.title = title
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .started(firstStep, totalSteps):
            bar = ProgressBar(title: title, total: totalSteps, unit: "tok", initial: firstStep)
            if firstStep > 0 { note("resumed at step \(firstStep)") }
        case let .stepped(report):
            tokens += Double(report.tokens)
            bar?.update(report.step, rateCount: tokens, detail: String(format: "loss %.4f lr %.2e", report.loss, report.learningRate))
        case let .evaluated(step, loss):
            note(String(format: "step %d: held-out loss %.4f (perplexity %.2f)", step, loss, Foundation.exp(loss)))
        case let .checkpointed(step, folder):
            note("step \(step): checkpoint \(folder.path)")
        }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
    }
}
