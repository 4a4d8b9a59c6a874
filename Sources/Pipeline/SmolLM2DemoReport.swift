// The SmolLM2 demo's report: the outcome of each method by both hidden judges, the guards, PPO's
// training curves and over-optimisation, and reviews before and after, all model text escaped.
import Evaluation
import Foundation
import Reporting
import TrainingRuns
import TextFiles

struct SmolLM2DemoReport {
    let configuration: SmolLM2DemoConfiguration
    let outcome: SmolLM2DemoOutcome
    let policyMetrics: [(seed: UInt64, records: [[String: Any]])]
    let dpoMetrics: [[String: Any]]
    let stageTimes: [(name: String, seconds: Double)]

    func html() -> String {
        ReportParts.page(title: "RLHF demo on SmolLM2", body: """
        <h1>RLHF demo on SmolLM2-135M-Instruct: one-sentence movie reviews people like</h1>
        <p>SmolLM2-135M-Instruct writes a one-sentence review of a film when asked to begin it with a critic's first words. Ten
        simulated annotators (each judging with one real human rater's VADER word ratings) ranked \(configuration.samplesPerPrompt) of its
        reviews for each of \(configuration.feedbackPrompts) requests about training movies; a reward head on the frozen SmolLM2 backbone
        learned those rankings. PPO and DPO then trained LoRA adapters (rank \(configuration.lora.rank)), and best-of-N picked the reward
        model's favourite among the starting model's samples. Every method is compared with the starting model on requests about
        held-out movies by two judges no model trained against: the <em>population judge</em> (the mean of all ten raters), and the
        <em>critics' judge</em>, a head on the frozen backbone trained on real Rotten Tomatoes critics' fresh/rotten verdicts of
        \(outcome.criticTrainingSnippets) snippets of training movies (ROC AUC \(outcome.criticAUC.map { ReportParts.fixed($0, 3) } ?? "n/a") on
        \(outcome.criticEvaluationSnippets) snippets of held-out movies).</p>
        \(outcomeSection())
        \(guardsSection())
        \(annotatorCeilingSection())
        \(chartsSection())
        \(samplesSection())
        \(ReportParts.stageTimes(stageTimes))
        """)
    }

    private func outcomeSection() -> String {
        let rows = outcome.methods.map { m in
            let p = m.populationJudge, c = m.criticJudge
            let kl = FigureText.kl(p.policy.klToReference, analyticBound: m.analyticKL)
            let goal = m.passed.map(ReportParts.passCell) ?? "<td>ceiling reference</td>"
            return "<tr><td>\(markupEscaped(m.name))</td><td>\(p.prompts)</td>"
                + "<td>\(PercentText.of(p))</td><td>\(p.wins)/\(p.ties)/\(p.losses)</td>"
                + "<td>\(PercentText.of(c))</td><td>\(c.wins)/\(c.ties)/\(c.losses)</td>"
                + "<td>\(kl)</td><td>×\(ReportParts.fixed(m.perplexityRatio))</td>\(goal)</tr>"
        }.joined()
        let accuracy = outcome.rewardModelAccuracy.map { "Reward model: held-out pairwise accuracy \(PercentText.of($0)) on the annotators' rankings. " } ?? ""
        let films = outcome.methods.first?.populationJudge.groupedInterval.map(ReportParts.filmsNote) ?? ""
        return """
        <h2>Outcome on \(outcome.heldOutPrompts) requests about held-out movies</h2>
        <p>Goals (issue 11): PPO-LoRA beats the starting model on at least 80% of prompts by both judges, the lower end of the 95%
        interval at least 75%, at a KL of at most 6 nats per response, the reference's perplexity of its samples at most 1.5× that
        of the starting model's, length within ±30% and no more repeated 3-grams at equal lengths; DPO-LoRA at least 70%; best-of-\(outcome.bestOfNCandidates)
        (on the first \(outcome.bestOfNPrompts) prompts) is the ceiling reference, its KL shown as the analytic bound log N − (N−1)/N
        (an upper bound: Beirami et al. 2024).
        \(accuracy)\(films)</p>
        <table><tr><th>method</th><th>prompts</th><th>win rate, population judge [95% CI]</th><th>w/t/l</th><th>win rate, critics' judge [95% CI]</th>
        <th>w/t/l</th><th>KL (nats/response)</th><th>reference perplexity ratio</th><th>goals</th></tr>\(rows)</table>
        """
    }

    private func guardsSection() -> String {
        let rows = outcome.methods.map { m in
            "<tr><td>\(markupEscaped(m.name))</td>\(ReportParts.lengthControlledCell(m.populationJudge))\(ReportParts.lengthControlledCell(m.criticJudge))"
                + "\(ReportParts.guardCells(m.populationJudge))</tr>"
        }.joined()
        return """
        <h3>Guards: does the win survive?</h3>
        <p>Length-controlled win rates predict the win at equal answer lengths (AlpacaEval 2.0's method). Each other cell pairs the
        method's value with the starting model's: mean length ratio in tokens, distinct-2, the share of repeated word 3-grams, duplicate
        answers, and SmolLM2's perplexity of the answers given the chat prompt (here the fluency model is the starting model itself).
        Distinct-2 and repeated 3-grams are also given at equal lengths, each prompt's two answers cut to the shorter one's words:
        shorter answers look less repetitive for their length alone.</p>
        <table><tr><th>method</th><th>length-controlled, population [95% CI]</th><th>length-controlled, critics [95% CI]</th>\(ReportParts.guardHeaders)</tr>\(rows)</table>
        """
    }

    private func annotatorCeilingSection() -> String {
        ReportParts.annotatorCeiling(
            outcome.bestOfNLadder, prompts: outcome.bestOfNPrompts, candidates: outcome.bestOfNCandidates, startingModel: "the starting model",
            trained: outcome.methods.filter { !$0.analyticKL }.compactMap { m in
                m.populationJudge.policy.klToReference.map { .init(name: m.name, kl: $0, criticWinRate: m.criticJudge.winRate) }
            })
    }

    private func chartsSection() -> String {
        let perSeed = { (key: String) in policyMetrics.map { ReportParts.series(key, records: $0.records, name: "seed \($0.seed)") } }
        var charts = [
            LineChart(title: "PPO: reward-model score", xLabel: "PPO iteration", yLabel: "mean score", series: perSeed("objective/scores")),
            LineChart(title: "PPO: KL to the reference", xLabel: "PPO iteration", yLabel: "nats per response", series: perSeed("objective/kl")),
            LineChart(title: "PPO: population judge", xLabel: "PPO iteration", yLabel: "mean judge score", series: perSeed("eval/judge_score")),
        ]
        if let first = policyMetrics.first {
            charts.append(ReportParts.overoptimization(first.records, bestOfN: outcome.bestOfNLadder.map(\.rewardModelPoint)))
        }
        charts.append(LineChart(title: "DPO", xLabel: "step", yLabel: "", series: [
            ReportParts.series("loss", x: "step", records: dpoMetrics, name: "loss"),
            ReportParts.series("rewards/margins", x: "step", records: dpoMetrics, name: "reward margin"),
        ]))
        return "<h2>Training</h2>" + ReportParts.charts(charts)
    }

    private func samplesSection() -> String {
        let methods = outcome.examples.first?.answers.map(\.method) ?? []
        let header = "<tr><th>request</th>" + methods.map { "<th>\(markupEscaped($0))</th>" }.joined() + "</tr>"
        let rows = outcome.examples.map { e in
            "<tr><td>\(markupEscaped(e.prompt))</td>" + e.answers.map { a in
                "<td class=\"sample\">\(markupEscaped(a.text))<br><small>population \(ReportParts.fixed(a.populationScore)), critics \(ReportParts.fixed(a.criticScore))</small></td>"
            }.joined() + "</tr>"
        }.joined()
        return "<h2>Reviews before (SmolLM2) and after</h2><table>\(header)\(rows)</table>"
    }
}

extension SmolLM2DemoPipeline {
    func writeReport(_ outcome: SmolLM2DemoOutcome, ppo: [PolicyRun]) throws {
        let report = SmolLM2DemoReport(
            configuration: configuration, outcome: outcome,
            policyMetrics: ppo.map { ($0.seed, (try? MetricsLog.records(at: $0.run.metricsURL)) ?? []) },
            dpoMetrics: (try? MetricsLog.records(at: RunFolder(url("dpo")).metricsURL)) ?? [], stageTimes: stages.times)
        try Data(report.html().utf8).write(to: url("report.html"), options: .atomic)
    }
}
