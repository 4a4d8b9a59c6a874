// The demo's report: one self-contained HTML file with the outcome, plots of training (reward,
// KL, the hidden judge, losses), the over-optimisation curve, the leaderboard, and samples
// before and after. Every piece of model output is escaped.
import Evaluation
import Feedback
import Foundation
import Reporting
import TextFiles

struct DemoReport {
    let configuration: DemoConfiguration
    let outcome: DemoOutcome
    let leaderboard: FeedbackLeaderboard
    /// metrics.jsonl records of each PPO seed.
    let policyMetrics: [(seed: UInt64, records: [[String: Any]])]
    let pretrainMetrics: [[String: Any]]
    let supervisedMetrics: [[String: Any]]
    let stageTimes: [(name: String, seconds: Double)]

    func html() -> String {
        ReportParts.page(title: "RLHF demo report", body: """
        <h1>RLHF demo: writing movie-review snippets people like</h1>
        <p>A GPT-2-architecture model pretrained on novels, fortunes and critics' reviews, fine-tuned on real Rotten Tomatoes
        snippets, then optimised with PPO against a reward model trained on rankings by simulated annotators (each judging with
        one real human rater's VADER word ratings). Every claim below is measured by the <em>population judge</em> (the mean of
        all ten raters), which no model ever saw.</p>
        \(outcomeSection())
        \(chartsSection())
        \(leaderboardSection())
        \(samplesSection())
        \(ReportParts.stageTimes(stageTimes))
        """)
    }

    private func outcomeSection() -> String {
        let rows = outcome.seeds.map { r in
            let c = r.comparison
            return "<tr><td>\(r.seed)</td><td>\(PercentText.of(r.comparison))</td>"
                + "<td>\(criticCell(r))</td>"
                + "<td>\(c.wins)/\(c.ties)/\(c.losses)</td><td>\(FigureText.kl(c.policy.klToReference))</td>"
                + "<td>\(fixed(c.policy.referencePerplexity)) vs \(fixed(c.baseline.referencePerplexity)) (×\(fixed(r.perplexityRatio)))</td>"
                + "<td>\(fixed(c.policy.meanScore, 3)) vs \(fixed(c.baseline.meanScore, 3))</td>"
                + "<td class=\"\(r.passed ? "pass" : "fail")\">\(r.passed ? "pass" : "fail")</td></tr>"
        }.joined() + bestOfNRow()
        let critic = outcome.criticAUC.map {
            "<p>The critics' judge is a second hidden judge sharing nothing with the annotators' word ratings: a head on frozen "
                + "SmolLM2-135M-Instruct learned from real critics' fresh/rotten verdicts on training movies (ROC AUC \(fixed($0, 3)) on "
                + "\(outcome.criticEvaluationSnippets ?? 0) held-out movies' snippets), reading the opening words with the answer.</p>"
        } ?? ""
        let accuracy = outcome.rewardModelAccuracy.map { "<p>Reward model: held-out pairwise accuracy \(PercentText.of($0)) on the annotators' rankings.</p>" } ?? ""
        return """
        <h2>Outcome on \(outcome.heldOutPrompts) held-out prompts (movies never trained on)</h2>
        <p>Goals: PPO beats SFT on at least \(PercentText.of(DemoOutcome.requiredWinRate)) of prompts by the population judge, at a KL to the
        reference of at most \(fixed(DemoOutcome.maximumKL, 0)) nats per response, with the reference's perplexity of its samples at most
        \(fixed(DemoOutcome.maximumPerplexityRatio, 1))× that of SFT's samples.\(outcome.seeds.first?.comparison.groupedInterval.map(ReportParts.filmsNote) ?? "")</p>
        <table><tr><th>seed</th><th>win rate vs SFT [95% CI]</th><th>critics' judge win rate [95% CI]</th><th>wins/ties/losses</th><th>KL (nats/response)</th>
        <th>reference perplexity PPO vs SFT</th><th>judge score PPO vs SFT</th><th>goals</th></tr>\(rows)</table>
        <p>Best-of-\(outcome.bestOfN.candidates) keeps the reward model's favourite of \(outcome.bestOfN.candidates) SFT samples (on the
        first \(outcome.bestOfN.comparison.prompts) prompts, against SFT's own sample of each): no weights change, so it is the baseline a
        trained policy is measured against at the same reward model. Its KL is shown as the analytic bound log N − (N−1)/N, which
        Beirami et al. (2024) prove is an upper bound, close only when no answer is likely to be drawn twice.</p>
        \(critic)
        \(accuracy)
        \(guardsSection())
        \(annotatorCeilingSection())
        """
    }

    private func chartsSection() -> String {
        let perSeed = { (key: String) in policyMetrics.map { series(key, records: $0.records, name: "seed \($0.seed)") } }
        var charts = [
            LineChart(title: "Reward-model score", xLabel: "PPO iteration", yLabel: "mean score", series: perSeed("objective/scores")),
            LineChart(title: "KL to the reference", xLabel: "PPO iteration", yLabel: "nats per response", series: perSeed("objective/kl")),
            LineChart(title: "Population judge (never trained on)", xLabel: "PPO iteration", yLabel: "mean judge score", series: perSeed("eval/judge_score")),
        ]
        if let first = policyMetrics.first {
            charts.append(LineChart(title: "PPO losses (seed \(first.seed))", xLabel: "PPO iteration", yLabel: "loss", series: [
                series("loss/policy_avg", records: first.records, name: "policy"), series("loss/value_avg", records: first.records, name: "value"),
            ]))
            charts.append(ReportParts.overoptimization(first.records, bestOfN: outcome.bestOfN.ladder.map(\.rewardModelPoint)))
        }
        charts.append(LineChart(title: "Pretraining and SFT loss", xLabel: "step", yLabel: "nats per token", series: [
            series("loss", x: "step", records: pretrainMetrics, name: "pretrain"),
            series("eval_loss", x: "step", records: pretrainMetrics, name: "pretrain held-out"),
            series("loss", x: "step", records: supervisedMetrics, name: "SFT"),
        ]))
        return "<h2>Training</h2>" + ReportParts.charts(charts)
    }

    private func leaderboardSection() -> String {
        "<h2>Leaderboard (simulated annotators, 3-way rankings on held-out prompts)</h2>" + ReportParts.leaderboard(leaderboard)
    }

    private func samplesSection() -> String {
        let rows = outcome.examples.map { e in
            "<tr><td>\(markupEscaped(e.prompt))</td><td class=\"sample\">\(markupEscaped(e.supervised))<br><small>judge \(fixed(e.supervisedScore, 2))</small></td>"
                + "<td class=\"sample\">\(markupEscaped(e.optimized))<br><small>judge \(fixed(e.optimizedScore, 2))</small></td></tr>"
        }.joined()
        return "<h2>Samples before (SFT) and after (PPO, seed \(outcome.seeds.first?.seed ?? 0))</h2><table><tr><th>prompt</th><th>SFT</th><th>PPO</th></tr>\(rows)</table>"
    }

    /// What a policy gaming the judge would show: a win rate that does not survive length
    /// control, shorter or longer answers, repeated words and n-grams, text a strong model finds unlikely.
    private func guardsSection() -> String {
        let rows = outcome.seeds.map { r in
            "<tr><td>\(r.seed)</td>\(ReportParts.lengthControlledCell(r.comparison))\(ReportParts.guardCells(r.comparison))</tr>"
        }.joined() + "<tr><td>\(bestOfNName)</td>\(ReportParts.lengthControlledCell(outcome.bestOfN.comparison))\(ReportParts.guardCells(outcome.bestOfN.comparison))</tr>"
        return """
        <h3>Guards: does the win survive?</h3>
        <p>The length-controlled win rate is the win probability predicted at equal answer lengths (AlpacaEval 2.0's method); the
        length ratio is PPO's mean answer length over SFT's; distinct-2 is unique word pairs over all word pairs of the samples;
        repeated 3-grams are the share of a response's word triples already seen in it; both are also given at equal lengths, each
        prompt's two answers cut to the shorter one's words, since shorter answers look less repetitive for their length alone;
        duplicates are answers identical to an earlier one; fluency is SmolLM2-135M-Instruct's perplexity of the answers given their prompts (a model no stage trained).</p>
        <table><tr><th>seed</th><th>length-controlled win rate [95% CI]</th>\(ReportParts.guardHeaders)</tr>\(rows)</table>
        <p>Each cell pairs PPO's (or best-of-N's) value with SFT's.</p>
        """
    }

    private func annotatorCeilingSection() -> String {
        ReportParts.annotatorCeiling(
            outcome.bestOfN.ladder, prompts: outcome.bestOfN.comparison.prompts, candidates: outcome.bestOfN.candidates, startingModel: "SFT",
            trained: outcome.seeds.compactMap { r in
                guard let critic = r.criticComparison, let kl = r.comparison.policy.klToReference else { return nil }
                return .init(name: "PPO seed \(r.seed)", kl: kl, criticWinRate: critic.winRate)
            })
    }

    private func criticCell(_ r: DemoOutcome.SeedResult) -> String {
        r.criticComparison.map { PercentText.of($0) } ?? "–"
    }

    private var bestOfNName: String { "best-of-\(outcome.bestOfN.candidates)" }

    /// Best-of-N's line in the outcome table; it has no goals of its own.
    private func bestOfNRow() -> String {
        let b = outcome.bestOfN, c = b.comparison
        return "<tr><td>\(bestOfNName)</td><td>\(PercentText.of(c))</td><td>\(b.criticComparison.map { PercentText.of($0) } ?? "–")</td>"
            + "<td>\(c.wins)/\(c.ties)/\(c.losses)</td><td>\(FigureText.kl(c.policy.klToReference, analyticBound: true))</td>"
            + "<td>\(fixed(c.policy.referencePerplexity)) vs \(fixed(c.baseline.referencePerplexity)) (×\(fixed(b.perplexityRatio)))</td>"
            + "<td>\(fixed(c.policy.meanScore, 3)) vs \(fixed(c.baseline.meanScore, 3))</td><td>–</td></tr>"
    }

    private func fixed(_ value: Double, _ digits: Int = 2) -> String { ReportParts.fixed(value, digits) }
    private func series(_ key: String, x: String = "iteration", records: [[String: Any]], name: String) -> LineChart.Series {
        ReportParts.series(key, x: x, records: records, name: name)
    }
}
