// The optimisation phase: PPO's epochs over shuffled minibatches (or A2C's single pass), each
// minibatch one recorded forward pass of the policy (and value network), the combined loss,
// clipping and an AdamW step per network. Data-parallel ranks each take their rows of every
// minibatch; the losses are means over the minibatch's response tokens, so a rank's part is
// weighted by its share of them, and the parts' gradients and statistics are summed.
import DataParallel
import LanguageModelData
import Optimization
import Tensors
import TrainingRuns
import Transformer

struct OptimizationStatistics {
    var policyLoss = 0.0, valueLoss = 0.0, clipFraction = 0.0, valueClipFraction = 0.0
    var approximateKL = 0.0, entropy = 0.0, ratioMean = 0.0, ratioVariance = 0.0, pretrainingLoss = 0.0
    var minibatches = 0
    var epochsRun = 0
    var ratioVarianceIsSecondMoment = false

    mutating func add(_ other: OptimizationStatistics) {
        policyLoss += other.policyLoss; valueLoss += other.valueLoss; clipFraction += other.clipFraction
        valueClipFraction += other.valueClipFraction; approximateKL += other.approximateKL; entropy += other.entropy
        ratioMean += other.ratioMean; ratioVariance += other.ratioVariance; pretrainingLoss += other.pretrainingLoss
        minibatches += other.minibatches
    }

    /// A rank's part of a minibatch's statistics: each is a mean over the minibatch's tokens, so
    /// the part is the rank's own mean times its `share` of the tokens. The ratio's variance
    /// travels as its second moment, which, unlike a variance, adds up across the parts.
    mutating func scale(by share: Double) {
        ratioVariance += ratioMean * ratioMean
        policyLoss *= share; valueLoss *= share; clipFraction *= share; valueClipFraction *= share
        approximateKL *= share; entropy *= share; ratioMean *= share; ratioVariance *= share
        ratioVarianceIsSecondMoment = true
    }

    /// The statistics the ranks sum, in a fixed order; set back after the sum, when the ratio's
    /// second moment becomes its variance again.
    var summable: [Double] {
        get { [policyLoss, valueLoss, clipFraction, valueClipFraction, approximateKL, entropy, ratioMean, ratioVariance, pretrainingLoss] }
        set {
            (policyLoss, valueLoss, clipFraction, valueClipFraction) = (newValue[0], newValue[1], newValue[2], newValue[3])
            (approximateKL, entropy, ratioMean, ratioVariance, pretrainingLoss) = (newValue[4], newValue[5], newValue[6], newValue[7], newValue[8])
            if ratioVarianceIsSecondMoment {
                ratioVariance -= ratioMean * ratioMean
                ratioVarianceIsSecondMoment = false
            }
        }
    }

    /// Each statistic averaged over the minibatches.
    var averaged: OptimizationStatistics {
        let n = Double(max(minibatches, 1))
        var out = self
        out.policyLoss /= n; out.valueLoss /= n; out.clipFraction /= n; out.valueClipFraction /= n
        out.approximateKL /= n; out.entropy /= n; out.ratioMean /= n; out.ratioVariance /= n; out.pretrainingLoss /= n
        return out
    }
}

extension PPOTrainer {
    func optimize(_ rollouts: Rollouts, advantages: Matrix, returns: Matrix) throws -> OptimizationStatistics {
        var total = OptimizationStatistics()
        let epochs = configuration.algorithm == .ppo ? configuration.epochs : 1
        let size = configuration.minibatchSize
        for _ in 0..<epochs {
            let order = configuration.algorithm == .ppo ? generator.permutation(rollouts.count) : Array(0..<rollouts.count)
            var epoch = OptimizationStatistics()
            for start in stride(from: 0, to: rollouts.count, by: size) {
                let rows = Array(order[start..<min(start + size, rollouts.count)])
                epoch.add(try step(rows: rows, rollouts: rollouts, advantages: advantages, returns: returns))
            }
            total.add(epoch)
            total.epochsRun += 1
            let target = configuration.targetApproximateKL
            if target > 0 && epoch.averaged.approximateKL > target { break }
        }
        return total.averaged
    }

    /// One minibatch (this rank's rows of it): recorded forward, loss, backward, the ranks'
    /// gradients summed, clipping, optimizer steps.
    func step(rows minibatch: [Int], rollouts: Rollouts, advantages: Matrix, returns: Matrix) throws -> OptimizationStatistics {
        let rows = BatchShard(communicator).slice(minibatch)
        let tokens = { (rows: [Int]) in rows.reduce(0.0) { total, row in total + (0..<rollouts.mask.columns).reduce(0.0) { $0 + rollouts.mask[row, $1] } } }
        let share = communicator.size == 1 ? 1 : tokens(rows) / max(tokens(minibatch), 1)
        let batch = try SequenceBatch(
            prompts: rows.map { rollouts.prompts[$0] }, responses: rows.map { rollouts.responses[$0] },
            padding: models.policy.endOfText ?? 0, responseLength: rollouts.batch.responseLength)
        let constant = { (m: Matrix) in try Tensor(shape: [rows.count, m.columns], values: rows.flatMap { r in (0..<m.columns).map { Float(m[r, $0]) } }) }
        let mask = try constant(rollouts.mask)
        models.policyParameters.zeroGradients()
        for store in models.value.trainableStores { store.zeroGradients() }
        let tape = Tape()
        let outputs = try models.policyOutputs(batch, tape: tape, entropy: configuration.entropyCoefficient > 0)
        let values = try outputs.values ?? models.values(batch, tape: tape)
        var statistics = OptimizationStatistics(minibatches: 1)
        let policyLoss: Tensor, valueLoss: Tensor
        if configuration.algorithm == .ppo {
            let (loss, s) = try PPOLosses.clippedPolicyLoss(
                logProbabilities: outputs.logProbabilities, oldLogProbabilities: constant(rollouts.logProbabilities),
                advantages: constant(advantages), mask: mask, clipRange: configuration.clipRange)
            (policyLoss, statistics.clipFraction, statistics.approximateKL) = (loss, s.clipFraction, s.approximateKL)
            (statistics.ratioMean, statistics.ratioVariance) = (s.ratioMean, s.ratioVariance)
        } else {
            policyLoss = try PPOLosses.policyGradientLoss(logProbabilities: outputs.logProbabilities, advantages: constant(advantages), mask: mask)
            statistics.ratioMean = 1
        }
        if configuration.algorithm == .ppo && configuration.valueClipRange > 0 {
            let (loss, fraction) = try PPOLosses.clippedValueLoss(
                values: values, oldValues: constant(rollouts.values), returns: constant(returns), mask: mask, clipRange: configuration.valueClipRange)
            (valueLoss, statistics.valueClipFraction) = (loss, fraction)
        } else {
            valueLoss = try PPOLosses.valueLoss(values: values, returns: constant(returns), mask: mask)
        }
        var loss = try policyLoss + valueLoss * configuration.valueCoefficient
        if let entropy = outputs.entropy {
            let mean = try entropy.maskedMean(mask)
            statistics.entropy = Double(mean.item)
            loss = try loss - mean * configuration.entropyCoefficient
        }
        (statistics.policyLoss, statistics.valueLoss) = (Double(policyLoss.item), Double(valueLoss.item))
        if communicator.size > 1 {
            statistics.scale(by: share)
            loss = loss * Float(share)
        }
        if configuration.pretrainingCoefficient > 0, var text = pretraining {
            let (lm, lmShare) = try pretrainingLoss(&text, tape: tape)
            pretraining = text
            statistics.pretrainingLoss = Double(lm.item) * lmShare
            loss = try loss + lm * Float(lmShare * Double(configuration.pretrainingCoefficient))
        }
        try tape.backward(from: loss)
        if communicator.size > 1 { try sumOverRanks(&statistics) }
        try applyGradients()
        return statistics
    }

    /// PPO-ptx: next-token loss of the policy on this rank's rows of a batch of pretraining
    /// windows, and the rows' share of the batch's predicted tokens.
    private func pretrainingLoss(_ data: inout PretrainingData, tape: Tape) throws -> (loss: Tensor, share: Double) {
        let whole = try data.nextBatch(size: configuration.pretrainingBatchSize)
        let batch = communicator.size == 1 ? whole : whole.rows(BatchShard(communicator).rows(of: whole.input.batch))
        let network = models.network
        let loss = try network.crossEntropy(network.hiddenStates(batch.input, tape: tape), targets: batch.targets, tape: tape)
        return (loss, communicator.size == 1 ? 1 : Double(batch.predictedTokens) / Double(max(whole.predictedTokens, 1)))
    }

    /// Sums the ranks' gradients (policy and value function) and their parts of the statistics.
    private func sumOverRanks(_ statistics: inout OptimizationStatistics) throws {
        for store in [models.policyParameters] + models.value.trainableStores {
            if let gradients = store.allGradients { try communicator.sum(gradients) }
        }
        var parts = statistics.summable
        try communicator.sum(&parts)
        statistics.summable = parts
    }

    /// The factor on the configured learning rates in the iteration under way.
    var learningRateFactor: Float {
        configuration.annealLearningRate ? 1 - Float(completedIterations) / Float(configuration.iterations) : 1
    }

    /// Clips the policy's and the value function's gradient norms (each its own) and steps their
    /// optimizers; a NaN stops the run by name.
    private func applyGradients() throws {
        let limit = configuration.maxGradientNorm
        for optimizers in [[policyOptimizer], valueOptimizers] {
            let stores = optimizers.map(\.parameters)
            let norm = limit > 0 ? GradientClipping.clip(stores, maxNorm: limit) : GradientClipping.globalNorm(of: stores)
            guard norm.isFinite else { throw TrainingError.nonFinite(step: completedIterations + 1, quantity: "gradient norm") }
            for optimizer in optimizers { optimizer.step(learningRate: optimizer.configuration.learningRate * learningRateFactor) }
        }
    }
}
