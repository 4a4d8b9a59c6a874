// What an iteration reports: TRL's metric names, phase times, and a few decoded samples, written
// to metrics.jsonl and samples.jsonl in the run folder.
import Reporting

extension PPOTrainer {
    func iterationMetrics(
        _ rollouts: Rollouts, shaped: ShapedRewards, optimization: OptimizationStatistics, coefficient: Double, times: PhaseTimes
    ) -> [String: Double] {
        let n = Double(rollouts.count)
        let meanScore = rollouts.scores.reduce(0, +) / n
        let nonScore = shaped.nonScore.rowSums.reduce(0, +) / n
        var sampledEntropy = 0.0
        for i in rollouts.mask.values.indices { sampledEntropy -= rollouts.logProbabilities.values[i] * rollouts.mask.values[i] }
        var metrics = [
            "objective/kl": shaped.kl.rowSums.reduce(0, +) / n,
            "objective/entropy": sampledEntropy / n,
            "objective/non_score_reward": nonScore,
            "objective/rlhf_reward": meanScore + nonScore,
            "objective/scores": meanScore,
            "objective/kl_coef": coefficient,
            "policy/approxkl_avg": optimization.approximateKL,
            "policy/clipfrac_avg": optimization.clipFraction,
            "loss/policy_avg": optimization.policyLoss,
            "loss/value_avg": optimization.valueLoss,
            "loss/ptx_avg": optimization.pretrainingLoss,
            "val/clipfrac_avg": optimization.valueClipFraction,
            "val/ratio": optimization.ratioMean,
            "val/ratio_var": optimization.ratioVariance,
            "val/num_eos_tokens": Double(rollouts.stopped.filter { $0 }.count),
            "val/epochs": Double(optimization.epochsRun),
            "val/response_length": rollouts.mask.values.reduce(0, +) / n,
            "objective/length_penalty": lengthPenalties(rollouts).reduce(0, +) / n,
            "lr": Double(configuration.learningRate * learningRateFactor),
            "episode": Double((completedIterations + 1) * configuration.batchSize),
            "time/generation": times.generation,
            "time/policy_forward": times.policyForward,
            "time/reference": times.reference,
            "time/scoring": times.scoring,
            "time/optimization": times.optimization,
        ]
        // The update's entropy is computed only when it is in the loss; a logged 0 would read as collapse.
        if configuration.entropyCoefficient > 0 { metrics["policy/entropy_avg"] = optimization.entropy }
        return metrics
    }

    func loggedSamples(_ rollouts: Rollouts) throws -> [IterationReport.Sample] {
        let endOfText = models.policy.endOfText
        return try (0..<min(configuration.loggedSamples, rollouts.count)).map { row in
            IterationReport.Sample(
                prompt: try models.policy.decode(rollouts.prompts[row]),
                response: try models.policy.decode(rollouts.responses[row].filter { $0 != endOfText }),
                score: rollouts.scores[row])
        }
    }

    /// Appends the iteration's metrics and samples, on the rank that writes the run folder.
    func log(_ report: IterationReport) throws {
        guard let metrics, let samplesLog else { return }
        var record: [String: MetricValue] = ["iteration": .integer(report.iteration)]
        for (name, value) in report.metrics { record[name] = .number(value) }
        try metrics.append(record)
        for sample in report.samples {
            try samplesLog.append([
                "iteration": .integer(report.iteration), "prompt": .text(sample.prompt),
                "response": .text(sample.response), "score": .number(sample.score),
            ])
        }
    }
}
