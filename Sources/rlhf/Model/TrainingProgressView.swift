// Draws a trainer's events as a progress bar with loss, rate and ETA, plus a line per
// evaluation and checkpoint.
import Finetuning
import Foundation
import Reporting

final class TrainingProgressView {
    private let title: String
    private var bar: ProgressBar?
    private var tokens = 0.0
    /// Whether the held-out loss is a next-token cross-entropy, whose exponential is a perplexity.
    private let lossIsCrossEntropy: Bool

    init(title: String, lossIsCrossEntropy: Bool = true) {
        self.title = title
        self.lossIsCrossEntropy = lossIsCrossEntropy
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .started(firstStep, totalSteps):
            bar = ProgressBar(title: title, total: totalSteps, unit: "tok", initial: firstStep)
            if firstStep > 0 { note("resumed at step \(firstStep)") }
        case let .stepped(report):
            tokens += Double(report.tokens)
            let accuracy = report.metrics["rewards/accuracies"].map { String(format: " reward accuracy %.2f", $0) } ?? ""
            bar?.update(report.step, rateCount: tokens, detail: String(format: "loss %.4f lr %.2e", report.loss, report.learningRate) + accuracy)
        case let .evaluated(step, loss):
            let perplexity = lossIsCrossEntropy ? String(format: " (perplexity %.2f)", Foundation.exp(loss)) : ""
            note(String(format: "step %d: held-out loss %.4f", step, loss) + perplexity)
        case let .checkpointed(step, folder):
            note("step \(step): checkpoint \(folder.path)")
        }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
    }
}
