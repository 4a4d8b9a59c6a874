// Progress of the demo on the terminal: a line per stage and a bar for every training phase.
import Evaluation
import Finetuning
import Foundation
import Pipeline
import PolicyOptimization
import Reporting
import RewardModeling

final class DemoProgressView: @unchecked Sendable {
    private var training: TrainingProgressView?
    private var trainingStage = ""
    private var policyBar: ProgressBar?
    private var rewardBar: ProgressBar?
    private var reading: (what: String, bar: FeatureProgressBar)?

    func handle(_ event: DemoEvent) {
        switch event {
        case let .stageStarted(index, count, name):
            say("[\(index)/\(count)] \(name)")
        case let .stageFinished(name, seconds):
            say(String(format: "      %@ done in %.1f s", name, seconds))
        case let .training(stage, event):
            if case .started = event, trainingStage != stage || training == nil {
                training = TrainingProgressView(title: stage, lossIsCrossEntropy: stage != "dpo")
                trainingStage = stage
            }
            training?.handle(event)
        case let .reward(event):
            handleReward(event)
        case let .policy(run, event):
            handlePolicy(run: run, event)
        case let .reading(what, done, total, unit):
            if reading?.what != what { reading = (what, FeatureProgressBar(title: what, unit: unit)) }
            reading?.bar.update(done, total)
        case let .note(text):
            say("      " + text)
        }
    }

    private func handleReward(_ event: RewardTrainingEvent) {
        switch event {
        case let .started(steps, comparisons):
            rewardBar = ProgressBar(title: "reward model", total: steps, unit: "steps")
            say("      \(comparisons) training comparisons")
        case let .stepped(report):
            rewardBar?.update(report.step, detail: String(format: "loss %.4f accuracy %.2f", report.loss, report.accuracy))
        case let .evaluated(step, evaluation):
            say(String(format: "      step %d: held-out accuracy %.3f over %d pairs", step, evaluation.accuracy, evaluation.pairs))
        case let .normalized(gain, bias):
            say(String(format: "      normalised on the policy's samples: gain %.3f, bias %.3f", gain, bias))
        }
    }

    private func handlePolicy(run: String, _ event: PPOEvent) {
        switch event {
        case let .started(first, iterations):
            policyBar = ProgressBar(title: "ppo \(run)", total: iterations, unit: "it", initial: first)
        case let .iterated(report):
            let m = report.metrics
            policyBar?.update(report.iteration, detail: String(
                format: "score %.3f judge %.3f kl %.2f β %.3f", m["objective/scores"] ?? 0, m["eval/judge_score"] ?? 0,
                m["objective/kl"] ?? 0, m["objective/kl_coef"] ?? 0))
        case let .overoptimizing(finding, stopping):
            say("      \(stopping ? "stopping" : "warning"): \(finding)")
        case .checkpointed:
            break
        }
    }

    private func say(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
    }
}

enum DemoSummary {
    static func text(_ outcome: DemoOutcome, seconds: Double, report: String) -> String {
        var lines = ["", "RLHF demo finished in \(String(format: "%.1f", seconds / 60)) minutes. Population judge (never trained on), \(outcome.heldOutPrompts) held-out prompts:"]
        for r in outcome.seeds {
            let c = r.comparison
            lines.append("  seed \(r.seed): PPO beats SFT on \(PercentText.of(c)) of prompts; "
                + String(format: "KL %@; reference perplexity ×%.2f of SFT's — ", FigureText.kl(c.policy.klToReference, unit: " nats/response"), r.perplexityRatio)
                + (r.passed ? "goals met" : "goals NOT met"))
            var guards = [String(format: "length ×%.2f of SFT's", c.lengthRatio)]
            if let controlled = c.lengthControlled {
                guards.insert("length-controlled win rate \(PercentText.of(controlled.winRate, between: controlled.lowerBound, and: controlled.upperBound))", at: 0)
            }
            if let p = c.policy.repetition, let b = c.baseline.repetition {
                guards.append(String(format: "distinct-2 %.2f vs %.2f", p.distinct2, b.distinct2) + DemoSummary.equalLengths(c, trigrams: false))
            }
            if let p = c.policy.fluency, let b = c.baseline.fluency {
                guards.append("SmolLM2 perplexity \(p.perplexityText(digits: 1)) vs \(b.perplexityText(digits: 1))")
            }
            if let critic = r.criticComparison {
                guards.insert("critics' judge \(PercentText.of(critic))", at: 0)
            }
            lines.append("          " + guards.joined(separator: "; "))
        }
        let best = outcome.bestOfN, c = best.comparison
        lines.append("  best-of-\(best.candidates) (\(c.prompts) prompts) beats SFT on \(PercentText.of(c))"
            + (best.criticComparison.map { " (critics' judge \(PercentText.of($0)))" } ?? "")
            + String(format: "; KL %@; reference perplexity ×%.2f of SFT's — ceiling reference", FigureText.kl(c.policy.klToReference, analyticBound: true), best.perplexityRatio))
        lines += criticsCeiling(best.ladder)
        lines.append("Report: \(report)")
        return lines.joined(separator: "\n")
    }

    /// " (at equal lengths …)": the same repetition figures with each prompt's answers cut to the
    /// shorter one's words, or nothing for a comparison saved before they were measured.
    static func equalLengths(_ c: PolicyComparison, trigrams: Bool) -> String {
        guard let m = c.lengthMatchedRepetition else { return "" }
        return String(format: " (at equal lengths %.2f vs %.2f", m.policy.distinct2, m.baseline.distinct2)
            + (trigrams ? String(format: ", %.3f vs %.3f)", m.policy.repeatedTrigramShare, m.baseline.repeatedTrigramShare) : ")")
    }

    /// The critics' verdict on the largest n of the best-of-n ladder, chosen both ways (nothing without a critics' judge).
    static func criticsCeiling(_ ladder: [BestOfNSelectionPoint]) -> [String] {
        guard let top = ladder.last, let byReward = top.byRewardModel.criticText, let byJudge = top.byPopulationJudge.criticText else { return [] }
        return ["  by the critics' judge, best-of-\(top.candidates) chosen by the reward model: \(byReward); "
            + "chosen by the population judge (the annotators' taste, perfectly learned): \(byJudge)"]
    }
}

extension DemoSummary {
    static func text(_ outcome: SmolLM2DemoOutcome, seconds: Double, report: String) -> String {
        var lines = [
            "", "RLHF demo on SmolLM2 finished in \(String(format: "%.1f", seconds / 60)) minutes. Against the starting model on \(outcome.heldOutPrompts) held-out prompts,",
            String(format: "by the population judge and by the critics' judge (ROC AUC %.3f on %d held-out snippets):", outcome.criticAUC ?? .nan, outcome.criticEvaluationSnippets),
        ]
        for m in outcome.methods {
            let p = m.populationJudge, c = m.criticJudge
            let verdict = m.passed.map { $0 ? "goals met" : "goals NOT met" } ?? "ceiling reference"
            lines.append("  \(m.name) (\(p.prompts) prompts): \(PercentText.of(p)) / \(PercentText.of(c)); "
                + String(format: "KL %@; perplexity ×%.2f; length ×%.2f — ", FigureText.kl(p.policy.klToReference, analyticBound: m.analyticKL), m.perplexityRatio, p.lengthRatio)
                + verdict)
            var guards: [String] = []
            if let lc = p.lengthControlled, let lcc = c.lengthControlled {
                guards.append("length-controlled \(PercentText.of(lc.winRate)) / \(PercentText.of(lcc.winRate))")
            }
            if let a = p.policy.repetition, let b = p.baseline.repetition {
                guards.append(String(format: "distinct-2 %.2f vs %.2f, repeated 3-grams %.3f vs %.3f", a.distinct2, b.distinct2, a.repeatedTrigramShare, b.repeatedTrigramShare)
                    + DemoSummary.equalLengths(p, trigrams: true))
            }
            if let a = p.policy.fluency, let b = p.baseline.fluency {
                guards.append("SmolLM2 perplexity \(a.perplexityText(digits: 1)) vs \(b.perplexityText(digits: 1))")
            }
            lines.append("          " + guards.joined(separator: "; "))
        }
        lines += criticsCeiling(outcome.bestOfNLadder)
        lines.append("Report: \(report)")
        return lines.joined(separator: "\n")
    }
}
