// The last stage: the HTML report from what the earlier stages wrote to the run folder.
import Feedback
import Foundation
import Reporting
import TrainingRuns

extension DemoPipeline {
    func writeReport(outcome: DemoOutcome, leaderboard: FeedbackLeaderboard, policies: [PolicyRun]) throws {
        let records = { (folder: String) in (try? MetricsLog.records(at: RunFolder(self.url(folder)).metricsURL)) ?? [] }
        let report = DemoReport(
            configuration: configuration, outcome: outcome, leaderboard: leaderboard,
            policyMetrics: policies.map { ($0.seed, (try? MetricsLog.records(at: $0.run.metricsURL)) ?? []) },
            pretrainMetrics: records("pretrain"), supervisedMetrics: records("sft"), stageTimes: stages.times)
        try Data(report.html().utf8).write(to: url("report.html"), options: .atomic)
    }
}
