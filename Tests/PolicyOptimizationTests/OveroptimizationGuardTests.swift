// The over-optimisation guard: its least-squares trend against a hand computation, and its
// decisions on made-up runs — reward up with the judge down (caught), both up or the judge merely
// noisy (not), fluency worsening, a judge scored only some iterations, recovery, and resuming.
import Foundation
import Optimization
import PolicyOptimization
import Testing

@Suite struct OveroptimizationGuardTests {
    typealias Guard = OveroptimizationGuard

    func configuration(_ action: Guard.Action = .warn, window: Int = 6) -> Guard.Configuration {
        var configuration = Guard.Configuration()
        configuration.action = action
        configuration.window = window
        return configuration
    }

    /// Feeds iterations 1... of the given series and returns each decision.
    func run(_ guardrail: inout Guard, scores: [Double], judge: [Double?], fluency: [Double?] = []) -> [Guard.Decision] {
        scores.indices.map { i in
            var metrics = ["objective/scores": scores[i]]
            if i < judge.count, let value = judge[i] { metrics["eval/judge_score"] = value }
            if i < fluency.count, let value = fluency[i] { metrics["eval/fluency_perplexity"] = value }
            return guardrail.observe(metrics, iteration: i + 1)
        }
    }

    @Test func theTrendIsTheLeastSquaresLine() throws {
        // x = 0...4, y = 0 2 1 3 4: slope Σ(x−2)(y−2)/Σ(x−2)² = 9/10; residuals −0.2 0.9 −1 0.1 0.2,
        // Σr² = 1.9, standard error √(1.9/3/10).
        let trend = try #require(Guard.Trend([(0, 0), (1, 2), (2, 1), (3, 3), (4, 4)]))
        #expect(abs(trend.slope - 0.9) < 1e-15 && abs(trend.change - 3.6) < 1e-14 && trend.points == 5)
        #expect(abs(trend.standardError - (1.9 / 30).squareRoot()) < 1e-15)
        #expect(Guard.Trend([(0, 1), (1, 2)]) == nil, "two points have no standard error")
        #expect(try #require(Guard.Trend([(3, 1), (5, 2), (9, 4)])).tStatistic == .infinity, "a perfect rising line")
        #expect(try #require(Guard.Trend([(1, 7), (2, 7), (3, 7)])).tStatistic == 0)
    }

    let rising: [Double] = [0.10, 0.14, 0.19, 0.21, 0.27, 0.30, 0.33, 0.38, 0.41, 0.45]

    @Test func rewardUpWhileTheJudgeFallsIsCaught() throws {
        let judge: [Double?] = [0.50, 0.51, 0.50, 0.52, 0.47, 0.44, 0.40, 0.37, 0.35, 0.31]
        var warning = try Guard(configuration: configuration(.warn))
        let decisions = run(&warning, scores: rising, judge: judge)
        #expect(decisions.prefix(5).allSatisfy { $0 == .proceed }, "the judge is flat at first: \(decisions)")
        guard case let .warn(finding) = decisions.last! else { Issue.record("no warning: \(decisions)"); return }
        #expect(finding.iteration == 10 && finding.worsening.keys.sorted() == ["eval/judge_score"])
        #expect(finding.proxy.change > 0.15 && finding.worsening["eval/judge_score"]!.change < -0.1)
        #expect(finding.description.contains("eval/judge_score"))
        var stopping = try Guard(configuration: configuration(.stop))
        guard case .stop(finding) = run(&stopping, scores: rising, judge: judge).last! else { Issue.record("no stop"); return }
        var off = try Guard(configuration: configuration(.off))
        #expect(run(&off, scores: rising, judge: judge).allSatisfy { $0 == .proceed })
    }

    @Test func aJudgeThatRisesOrOnlyWobblesRaisesNothing() throws {
        var both = try Guard(configuration: configuration())
        #expect(run(&both, scores: rising, judge: rising.map { $0 / 2 + 0.3 }).allSatisfy { $0 == .proceed })
        var noisy = try Guard(configuration: configuration())
        let wobble: [Double?] = [0.50, 0.46, 0.53, 0.47, 0.52, 0.45, 0.51, 0.47, 0.52, 0.46]
        #expect(run(&noisy, scores: rising, judge: wobble).allSatisfy { $0 == .proceed })
        var flatReward = try Guard(configuration: configuration())
        let falling: [Double?] = [0.5, 0.48, 0.45, 0.43, 0.40, 0.38, 0.35, 0.33, 0.30, 0.28]
        #expect(run(&flatReward, scores: Array(repeating: 0.2, count: 10), judge: falling).allSatisfy { $0 == .proceed }, "no reward rise, no hacking")
    }

    @Test func fluencyWorseningAndASparseJudgeAreFollowed() throws {
        var guardrail = try Guard(configuration: configuration())
        let perplexity: [Double?] = [20, 21, 20, 23, 25, 28, 30, 33, 37, 40]
        guard case let .warn(finding) = run(&guardrail, scores: rising, judge: [], fluency: perplexity).last! else { Issue.record("fluency missed"); return }
        #expect(finding.worsening.keys.sorted() == ["eval/fluency_perplexity"])
        // Judged every other iteration: three points in the last six iterations still make a trend.
        var sparse = try Guard(configuration: configuration())
        let judge: [Double?] = [0.5, nil, 0.5, nil, 0.45, nil, 0.40, nil, 0.33, nil]
        guard case let .warn(sparseFinding) = run(&sparse, scores: rising, judge: judge).last! else { Issue.record("sparse judge missed"); return }
        #expect(sparseFinding.worsening["eval/judge_score"]?.points == 3)
    }

    @Test func oldIterationsLeaveTheWindowAndAResumedGuardDecidesAlike() throws {
        var guardrail = try Guard(configuration: configuration(window: 4))
        let judge: [Double?] = [0.5, 0.45, 0.4, 0.35, 0.36, 0.37, 0.38, 0.39]
        let decisions = run(&guardrail, scores: Array(rising.prefix(8)), judge: judge)
        #expect(decisions[3] != .proceed && decisions[7] == .proceed, "the judge recovered: \(decisions)")
        var first = try Guard(configuration: configuration())
        _ = run(&first, scores: Array(rising.prefix(7)), judge: [0.5, 0.5, 0.49, 0.45, 0.42, 0.4, 0.37])
        var resumed = try JSONDecoder().decode(Guard.self, from: JSONEncoder().encode(first))
        #expect(resumed == first)
        let next = ["objective/scores": 0.5, "eval/judge_score": 0.33]
        #expect(resumed.observe(next, iteration: 8) == first.observe(next, iteration: 8))
    }

    @Test func settingsAreValidatedWithTheirNames() throws {
        #expect(throws: OptimizationError.invalidSetting(field: "overoptimizationGuard.window", expected: "≥ 3 iterations (a trend's standard error needs 3 points)")) {
            try Guard(configuration: configuration(window: 2))
        }
        var clash = Guard.Configuration()
        clash.watched.append(Guard.Watch(metric: "objective/scores", worse: .falling))
        #expect(throws: OptimizationError.self) { try Guard(configuration: clash) }
        var ppo = PPOConfiguration()
        try ppo.validate()
        ppo.overoptimizationGuard.minimumTStatistic = -1
        #expect(throws: OptimizationError.self) { try ppo.validate() }
    }
}
