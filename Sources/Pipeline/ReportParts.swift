// What both demos' reports share: the page and its style, the number format, the guard
// columns of a comparison, the stage-time table, and the training charts read from metrics.jsonl.
// Every piece of model output goes through `markupEscaped`.
import Evaluation
import Feedback
import Foundation
import Reporting
import TextFiles

enum ReportParts {
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(markupEscaped(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }
        table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }
        th { background: #f3f3f3; } .pass { color: #1a7f37; font-weight: bold; } .fail { color: #b42318; font-weight: bold; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } .sample { max-width: 420px; }
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    static func fixed(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

    /// What a grouped interval resampled, for the sentence under a table of win rates.
    static func filmsNote(_ interval: GroupedWinRateInterval) -> String {
        " Each side's answer is its own draw, and the 95% intervals resample whole films (\(interval.groupCount) of them, \(interval.resamples) "
            + "resamples): answers about one film win or lose together, so its prompts are not independent evidence."
    }

    static func passCell(_ passed: Bool) -> String { "<td class=\"\(passed ? "pass" : "fail")\">\(passed ? "pass" : "fail")</td>" }

    /// "policy vs baseline", or a dash when either was not measured.
    static func pair(_ a: Double?, _ b: Double?, _ digits: Int = 2) -> String {
        guard let a, let b else { return "–" }
        return "\(fixed(a, digits)) vs \(fixed(b, digits))"
    }

    /// Length ratio, distinct-2 and repeated 3-grams (whole answers, then at equal lengths), duplicate answers and fluency (with each side's
    /// empty answers, which its perplexity leaves out), as table cells.
    static func guardCells(_ c: PolicyComparison) -> String {
        let p = c.policy, b = c.baseline
        let fluency = p.fluency.flatMap { policy in b.fluency.map { "\(policy.perplexityText(digits: 1)) vs \($0.perplexityText(digits: 1))" } } ?? "–"
        let matched = c.lengthMatchedRepetition
        return "<td>×\(fixed(c.lengthRatio))</td>"
            + "<td>\(pair(p.repetition?.distinct2, b.repetition?.distinct2))</td>"
            + "<td>\(pair(matched?.policy.distinct2, matched?.baseline.distinct2))</td>"
            + "<td>\(pair(p.repetition?.repeatedTrigramShare, b.repetition?.repeatedTrigramShare, 3))</td>"
            + "<td>\(pair(matched?.policy.repeatedTrigramShare, matched?.baseline.repeatedTrigramShare, 3))</td>"
            + "<td>\(pair(p.repetition?.duplicateResponseShare, b.repetition?.duplicateResponseShare, 3))</td>"
            + "<td>\(fluency)</td>"
    }

    static func lengthControlledCell(_ c: PolicyComparison) -> String {
        "<td>" + (c.lengthControlled.map { rate in
            let text = PercentText.of(rate.winRate, between: rate.lowerBound, and: rate.upperBound)
            guard rate.isExtrapolated, let shorter = rate.policyShorterShare, let longer = rate.policyLongerShare else { return text }
            let side = shorter > longer ? "shorter" : "longer"
            return text + " (extrapolated: the policy was \(side) on \(fixed(100 * max(shorter, longer), 0))% of prompts)"
        } ?? "–") + "</td>"
    }

    static let guardHeaders = "<th>length ratio</th><th>distinct-2</th><th>distinct-2 at equal lengths</th><th>repeated 3-grams</th>"
        + "<th>repeated 3-grams at equal lengths</th><th>duplicate answers</th><th>SmolLM2 perplexity</th>"

    static func stageTimes(_ times: [(name: String, seconds: Double)]) -> String {
        let rows = times.map { "<tr><td>\(markupEscaped($0.name))</td><td>\(fixed($0.seconds, 1)) s</td></tr>" }.joined()
        let total = times.reduce(0) { $0 + $1.seconds }
        return "<h2>Stages</h2><table><tr><th>stage</th><th>time</th></tr>\(rows)<tr><th>total</th><th>\(fixed(total, 1)) s</th></tr></table>"
    }

    static func number(_ value: Any?) -> Double? {
        (value as? Double) ?? (value as? Int).map(Double.init)
    }

    static func series(_ key: String, x: String = "iteration", records: [[String: Any]], name: String) -> LineChart.Series {
        LineChart.Series(name: name, points: records.compactMap { record in
            guard let xv = number(record[x]), let yv = number(record[key]) else { return nil }
            return (xv, yv)
        })
    }

    /// Gain of the reward-model score and of the judge's score over their first values, against
    /// the KL spent: where the two part is where the policy exploits the reward model. Best-of-n's
    /// points (n = 1, 2, 4, …), when given, are gains over n = 1 on the same scales.
    static func overoptimization(_ records: [[String: Any]], bestOfN: [BestOfNPoint] = []) -> LineChart {
        let policy = records.compactMap { r -> (Double, Double, Double)? in
            guard let kl = number(r["objective/kl"]), let score = number(r["objective/scores"]), let judge = number(r["eval/judge_score"]) else { return nil }
            return (kl, score, judge)
        }
        let gains = { (points: [(Double, Double, Double)]) in
            points.map { ($0.0, $0.1 - (points.first?.1 ?? 0), $0.2 - (points.first?.2 ?? 0)) }
        }
        let ppo = gains(policy), best = gains(bestOfN.map { ($0.klToReference, $0.rewardScore, $0.judgeScore) })
        let spread = { (values: [Double]) in max(1e-9, (values.max() ?? 1) - (values.min() ?? 0)) }
        let scoreSpread = spread((ppo + best).map(\.1)), judgeSpread = spread((ppo + best).map(\.2))
        let series = { (name: String, points: [(Double, Double, Double)]) in [
            LineChart.Series(name: "\(name)reward model", points: points.map { ($0.0, $0.1 / scoreSpread) }),
            LineChart.Series(name: "\(name)population judge", points: points.map { ($0.0, $0.2 / judgeSpread) }),
        ] }
        return LineChart(
            title: "Over-optimisation: gains as KL grows", xLabel: "KL to the reference (nats)", yLabel: "gain (share of its range)",
            series: series("", ppo) + (best.isEmpty ? [] : series("best-of-n: ", best)))
    }

    /// Charts side by side on a wide screen.
    static func charts(_ charts: [LineChart]) -> String {
        "<div class=\"charts\">" + charts.map { chart in
            var chart = chart
            (chart.width, chart.height) = (540, 360)
            return chart.svg()
        }.joined() + "</div>"
    }

    /// The leaderboard table (Elo, Bradley-Terry with its interval, record) and the agreement line.
    static func leaderboard(_ leaderboard: FeedbackLeaderboard) -> String {
        let rows = leaderboard.models.standings.map { s in
            "<tr><td>\(markupEscaped(s.model))</td><td>\(fixed(s.elo, 0))</td><td>\(fixed(s.bradleyTerry.rating, 0)) [\(fixed(s.bradleyTerry.lower, 0)), \(fixed(s.bradleyTerry.upper, 0))]</td><td>\(s.wins)/\(s.ties)/\(s.losses)</td></tr>"
        }.joined()
        let alpha = leaderboard.agreement.map { fixed($0, 3) } ?? "n/a"
        let level = "\(fixed(100 * leaderboard.confidence, 0))%"
        let ridge = leaderboard.models.isRegularized
            ? " Some model never lost or never won, so Bradley-Terry used a small ridge penalty to stay finite." : ""
        return """
        <table><tr><th>model</th><th>Elo</th><th>Bradley-Terry [\(level) CI]</th><th>wins/ties/losses</th></tr>\(rows)</table>
        <p>\(leaderboard.judgments) judgments; Krippendorff's alpha (nominal) \(alpha) over \(leaderboard.agreementUnits) pairs judged by several annotators. \
        Bradley-Terry intervals from \(leaderboard.bootstrapRounds) resamples of whole tasks; Elo is online, in judgment order, so it moves when a judgment is revised.\(ridge)</p>
        """
    }
}
