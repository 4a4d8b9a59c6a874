// Best-of-N (rejection sampling): N samples per prompt from the policy, the reward model's
// favourite kept. No weights change, so it is the ceiling a trained policy is measured against at
// the same reward model, and the cheapest way to use one: its cost is N times the sampling.
import LanguageModeling
import Randomness
import RewardModeling
import Transformer

public struct BestOfN {
    public struct Choice: Sendable, Codable, Equatable {
        /// The chosen response's tokens (ending with a stop token when the model stopped).
        public let response: [Int32]
        /// Its score and every candidate's, in sampling order.
        public let score: Double
        public let candidateScores: [Double]
        public let chosenIndex: Int
    }

    public let model: LanguageModel
    public let scorer: any ResponseScorer
    /// Candidates per prompt.
    public let candidates: Int
    public let sampling: SamplingParameters
    /// Rows decoded together (prompts × candidates are cut into batches of this many).
    public let batchSize: Int

    public init(model: LanguageModel, scorer: any ResponseScorer, candidates: Int, sampling: SamplingParameters, batchSize: Int = 32) throws {
        guard candidates > 0 else { throw SamplingError.invalidParameter(field: "candidates", expected: "at least 1") }
        guard batchSize > 0 else { throw SamplingError.invalidParameter(field: "batchSize", expected: "at least 1") }
        var sampling = sampling
        if sampling.stopTokens.isEmpty { sampling.stopTokens = model.stopTokens }
        try sampling.validate()
        self.model = model
        self.scorer = scorer
        self.candidates = candidates
        self.sampling = sampling
        self.batchSize = batchSize
    }

    /// Every prompt's candidates with their scores, in sampling order.
    public struct Candidates: Sendable, Codable, Equatable {
        /// `responses[prompt][candidate]`.
        public let responses: [[[Int32]]]
        public let scores: [[Double]]

        public init(responses: [[[Int32]]], scores: [[Double]]) {
            self.responses = responses
            self.scores = scores
        }

        /// The best of the first `count` candidates of each prompt (ties go to the earliest), so
        /// one sampling run gives best-of-n for every n up to the number drawn.
        public func choices(amongFirst count: Int) -> [Choice] {
            zip(responses, scores).map { responses, scores in
                let best = Self.best(of: scores, amongFirst: count)
                return Choice(response: responses[best], score: scores[best], candidateScores: Array(scores.prefix(max(1, count))), chosenIndex: best)
            }
        }

        /// The index of the highest of the first `count` scores (at least one); ties go to the earliest.
        public static func best(of scores: [Double], amongFirst count: Int) -> Int {
            let considered = scores.prefix(max(1, count))
            return considered.indices.max { considered[$0] < considered[$1] || (considered[$0] == considered[$1] && $0 > $1) }!
        }
    }

    /// The best of `candidates` samples for each prompt; ties go to the earliest sample.
    /// `progress(done, total)` counts decoded rows.
    public func choose(prompts: [[Int32]], generator: inout RandomGenerator, progress: (Int, Int) -> Void = { _, _ in }) throws -> [Choice] {
        try sample(prompts: prompts, generator: &generator, progress: progress).choices(amongFirst: candidates)
    }

    /// `candidates` samples for each prompt, scored. `progress(done, total)` counts decoded rows.
    public func sample(prompts: [[Int32]], generator: inout RandomGenerator, progress: (Int, Int) -> Void = { _, _ in }) throws -> Candidates {
        let rows = prompts.flatMap { Array(repeating: $0, count: candidates) }
        var responses: [[Int32]] = []
        responses.reserveCapacity(rows.count)
        let padding = model.endOfText ?? 0
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            let chunk = Array(rows[start..<min(start + batchSize, rows.count)])
            responses += try model.network.generate(prompts: chunk, parameters: sampling, generator: &generator, padding: padding)
                .map { $0.tokens.isEmpty ? [padding] : $0.tokens }
            progress(responses.count, rows.count)
        }
        let scores = try scorer.scores(prompts: rows, responses: responses)
        let ranges = prompts.indices.map { ($0 * candidates)..<(($0 + 1) * candidates) }
        return Candidates(responses: ranges.map { Array(responses[$0]) }, scores: ranges.map { Array(scores[$0]) })
    }
}
