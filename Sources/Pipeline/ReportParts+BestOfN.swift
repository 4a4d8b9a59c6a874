// Both demos' table of best-of-n chosen two ways, and the critics' judge of each against KL with
// the trained policies as points beside it.
import Evaluation
import Foundation
import Reporting

extension ReportParts {
    /// A trained policy's place on the critics' chart: its KL and its critics' win rate.
    struct CriticPoint {
        let name: String
        let kl: Double
        let criticWinRate: Double
    }

    /// Best-of-n chosen by the population judge pleases the annotators as no reward model learned
    /// from them can; the critics' judge of it is what pleasing them buys from critics at that KL.
    /// Without a critics' judge the table keeps the population judge's columns and there is no chart.
    static func annotatorCeiling(
        _ ladder: [BestOfNSelectionPoint], prompts: Int, candidates: Int, startingModel: String, trained: [CriticPoint]
    ) -> String {
        guard !ladder.isEmpty else { return "" }
        let hasCritic = ladder.allSatisfy { $0.byRewardModel.critic != nil && $0.byPopulationJudge.critic != nil }
        let cells = { (chosen: BestOfNSelectionPoint.Chosen) in
            "<td>\(chosen.populationText)</td>" + (hasCritic ? "<td>\(chosen.criticText ?? "–")</td>" : "")
        }
        let rows = ladder.map { p in
            "<tr><td>\(p.candidates)</td><td>\(fixed(p.klToReference))</td>\(cells(p.byRewardModel))\(cells(p.byPopulationJudge))</tr>"
        }.joined()
        let critics = hasCritic ? "<th>critics</th>" : ""
        let header = "<tr><th>n</th><th>KL upper bound (analytic)</th><th>reward model's choice: population</th>\(critics)"
            + "<th>population judge's choice: population</th>\(critics)</tr>"
        let intro = """
            <p>Best-of-n on the first \(prompts) prompts against \(startingModel)'s own sample of each, n = 1, 2, 4, … from one draw of
            \(candidates) candidates, chosen by the reward model and, among the same candidates, by the population judge: a reward model
            that had learned the annotators' mean taste perfectly. Its population-judge column is high by construction
            """
        guard hasCritic else {
            return "<h3>What the annotators' taste is worth</h3>\(intro).</p><table>\(header)\(rows)</table>"
        }
        let series = { (name: String, pick: (BestOfNSelectionPoint) -> BestOfNSelectionPoint.Chosen) in
            LineChart.Series(name: name, points: ladder.compactMap { p in pick(p).critic.map { (p.klToReference, $0.winRate) } })
        }
        let chart = LineChart(
            title: "Critics' judge: win rate against \(startingModel)", xLabel: "KL to the reference (nats)", yLabel: "win rate",
            series: [series("best-of-n, reward model's choice", \.byRewardModel), series("best-of-n, population judge's choice", \.byPopulationJudge)]
                + trained.map { LineChart.Series(name: $0.name, points: [($0.kl, $0.criticWinRate)]) },
            yRange: 0...1)
        return """
            <h3>What the annotators' taste is worth to the critics</h3>
            \(intro); its critics' column is what pleasing the annotators perfectly buys from the critics at that KL.</p>
            <table>\(header)\(rows)</table>
            \(charts([chart]))
            """
    }
}
