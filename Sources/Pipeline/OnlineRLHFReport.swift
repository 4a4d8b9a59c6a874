// The report of `rlhf iterate`: a table of rounds (judge score, win rate against the starting
// model, KL, labels, time), the judge's score and the arena rating by round as plots, and the
// arena's leaderboard. Written as report.html and the two plots as SVG files beside it.
import Evaluation
import Foundation
import Reporting

struct OnlineRLHFReport {
    let configuration: OnlineRLHFConfiguration
    let outcome: OnlineRLHFOutcome

    func write(to folder: URL) throws {
        try judgeChart.write(to: folder.appendingPathComponent("judge-by-round.svg"))
        try ratingChart.write(to: folder.appendingPathComponent("rating-by-round.svg"))
        try Data(html().utf8).write(to: folder.appendingPathComponent("report.html"), options: .atomic)
    }

    var judgeChart: LineChart {
        let rounds = outcome.rounds
        return LineChart(
            title: "Population judge (never trained on) by round", xLabel: "round (0 = starting model)", yLabel: "mean judge score",
            series: [
                .init(name: "mean", points: rounds.map { (Double($0.round), $0.judgeScore) }),
                .init(name: "low (95%)", points: rounds.compactMap { r in r.judgeScoreInterval.map { (Double(r.round), $0[0]) } }),
                .init(name: "high (95%)", points: rounds.compactMap { r in r.judgeScoreInterval.map { (Double(r.round), $0[1]) } }),
            ])
    }

    var ratingChart: LineChart {
        let ratings = outcome.roundRatings
        return LineChart(
            title: "Arena rating by round", xLabel: "round (0 = starting model)", yLabel: "Bradley-Terry rating",
            series: [
                .init(name: "rating", points: ratings.map { (Double($0.round), $0.rating.rating) }),
                .init(name: "low (95%)", points: ratings.map { (Double($0.round), $0.rating.lower) }),
                .init(name: "high (95%)", points: ratings.map { (Double($0.round), $0.rating.upper) }),
            ])
    }

    func html() -> String {
        let judgedByCritics = outcome.rounds.contains { $0.criticWinRate != nil }
        let rows = outcome.rounds.map { (r: RoundSummary) -> String in
            let winRate = r.round == 0 ? "" : PercentText.of(r.winRateVersusStart, between: r.winRateInterval[0], and: r.winRateInterval[1])
                + (r.winRateFilms == nil ? " *" : "")
            let counts = r.round == 0 ? "" : r.versusStart.map { "\($0.wins)/\($0.ties)/\($0.losses)" } ?? "not kept"
            let critics = judgedByCritics ? "<td>\(criticWinRate(r))</td>" : ""
            let repeated = r.repetition.map { PercentText.of($0.repeatedTrigramShare) } ?? ""
            let accuracy = r.rewardAccuracy.map { PercentText.of($0) } ?? ""
            return "<tr><td>\(r.round)</td><td>\(r.judgeScoreText)</td>"
                + "<td>\(winRate)</td><td>\(counts)</td>\(critics)<td>\(FigureText.kl(r.klToReference))</td><td>\(fixed(r.meanLength, 1))</td>"
                + "<td>\(r.repetition.map { fixed($0.distinct2) } ?? "")</td>"
                + "<td>\(r.repetitionAtEqualLengths.map { "\(fixed($0.policy.distinct2)) vs \(fixed($0.baseline.distinct2))" } ?? "")</td>"
                + "<td>\(repeated)</td><td>\(r.labels)</td>"
                + "<td>\(accuracy)</td><td>\(r.round == 0 ? "" : fixed(r.seconds, 0))</td></tr>"
        }.joined()
        let verdicts = [
            ("The population judge's score rose every round", outcome.judgeRoseEveryRound),
            ("The arena rates every round above the one before", outcome.arenaRanksRoundsInOrder),
            ("The first and last rounds' arena intervals do not overlap", outcome.firstAndLastSeparated),
        ].map { "<tr><td>\($0.0)</td>\(ReportParts.passCell($0.1))</tr>" }.joined()
        return ReportParts.page(title: "Online RLHF rounds", body: """
        <h1>Online RLHF: \(outcome.rounds.count - 1) rounds</h1>
        <p>Each round samples \(configuration.candidateTasks) comparison tasks from the current policy, spends a budget of
        \(configuration.judgmentsPerRound) judgments on the tasks the selection policy ranks highest (reward-model uncertainty
        weight \(fixed(configuration.selection.uncertaintyWeight)), disagreement weight \(fixed(configuration.selection.disagreementWeight)),
        random share \(PercentText.of(configuration.selection.randomShare))), retrains the reward model on every label so far,
        and \(optimization)
        \(configuration.leashToPreviousRound ? "the policy the round started from" : "the starting model")\(configuration.includePreviousPolicy ? "; from round 2 on each task also shows a sample of the previous round's policy" : "").
        The population judge (the mean of all ten raters) scores \(configuration.evaluationPrompts) held-out prompts; no model saw it\(judgedByCritics ? ", nor the critics' judge, a head on frozen SmolLM2 trained on real critics' fresh and rotten verdicts, which shares nothing with the annotators" : "").
        The annotators and the judge share VADER's lexicon family, so a policy can please both by repeating praise: distinct-2 and
        the share of repeated trigrams beside the scores say how much of a gain is that; distinct-2 is also given against the
        start's with each prompt's two answers cut to the shorter one's words, since shorter answers look more varied for that alone.</p>
        <table>\(verdicts)</table>
        <h2>Rounds</h2>
        <table><tr><th>round</th><th>judge score [95% CI]</th><th>win rate vs start [95% CI]</th><th>wins/ties/losses</th>\(judgedByCritics ? "<th>critics' judge: win rate vs start [95% CI]</th>" : "")<th>KL to the start (nats/response)</th>
        <th>mean length (tokens)</th><th>distinct-2</th><th>distinct-2 at equal lengths, vs the start</th><th>repeated trigrams</th><th>labels</th><th>reward-model accuracy</th><th>seconds</th></tr>\(rows)</table>
        \(winRateNote)
        \(ReportParts.charts([judgeChart, ratingChart]))
        <h2>Arena (\(configuration.arenaPrompts) held-out prompts, every entrant in each ranking, \(configuration.arenaJudgmentsPerTask) judgments per task)</h2>
        \(ReportParts.leaderboard(outcome.arena))
        """)
    }

    /// What the win rates' intervals resampled; rounds saved before they resampled films are starred.
    private var winRateNote: String {
        let trained = outcome.rounds.filter { $0.round > 0 }
        let films = trained.compactMap(\.winRateFilms).first.map {
            "<p>Each round's answers and the start's are independent draws, and the win rates' 95% intervals resample the prompts' \($0) films: "
                + "answers about one film could win or lose together.</p>"
        } ?? ""
        guard trained.contains(where: { $0.winRateFilms == nil }) else { return films }
        return films + "<p>* Saved by an earlier version: the answers were drawn with the start's own generator state (coupled) "
            + "and the intervals are Wilson's, prompt by prompt; the judge scores, KL and arena are read as in the other rounds.</p>"
    }

    /// Rounds finished before the run was given a critics' judge were not measured by it.
    private func criticWinRate(_ r: RoundSummary) -> String {
        guard r.round > 0 else { return "" }
        guard let rate = r.criticWinRate, let interval = r.criticWinRateInterval else { return "not measured" }
        return PercentText.of(rate, between: interval[0], and: interval[1])
    }

    private var optimization: String {
        switch configuration.optimizer {
        case .ppo: "continues PPO for \(configuration.ppo.iterations) iterations from the current policy, its KL penalty measured against"
        case .dpo: "fine-tunes the current policy for \(configuration.dpo.optimization.steps) steps of DPO on every pair the round's own rankings imply, its reference being"
        }
    }

    private func fixed(_ value: Double, _ digits: Int = 2) -> String { ReportParts.fixed(value, digits) }
}
