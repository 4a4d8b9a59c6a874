// Batched sampling with the KV cache: a repetition penalty, temperature, top-k, top-p, stop tokens
// and a length limit, every row stopping on its own.
import Randomness
import Tensors

public struct SamplingParameters: Codable, Sendable, Equatable {
    /// Softmax temperature; 0 picks the most likely token (greedy).
    public var temperature: Float = 1
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK: Int = 0
    /// Keep the smallest set of tokens whose probability reaches p; 1 keeps all.
    public var topP: Float = 1
    /// Tokens generated at most per row.
    public var maxNewTokens: Int = 64
    /// Tokens that end a row; the stop token is kept as the row's last token.
    public var stopTokens: [Int32] = []
    /// Hugging Face's `repetition_penalty` (CTRL): before anything else, the logit of every token
    /// already in the row's prompt or its new tokens is divided by this when positive and
    /// multiplied by it otherwise; above 1 discourages repeats, 1 leaves the logits untouched.
    public var repetitionPenalty: Float = 1

    public init(
        temperature: Float = 1, topK: Int = 0, topP: Float = 1, maxNewTokens: Int = 64, stopTokens: [Int32] = [],
        repetitionPenalty: Float = 1
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
        self.repetitionPenalty = repetitionPenalty
    }

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ expected: String) throws {
            if !ok { throw SamplingError.invalidParameter(field: field, expected: expected) }
        }
        // Tempering divides by it: a positive temperature whose reciprocal overflows turns every logit into ±∞ or NaN.
        try check(temperature == 0 || (temperature > 0 && temperature.isFinite && (1 / temperature).isFinite), "temperature", "0, or a finite positive value whose reciprocal is finite")
        try check(topK >= 0, "topK", "≥ 0")
        try check(topP > 0 && topP <= 1, "topP", "in (0, 1]")
        try check(maxNewTokens >= 0, "maxNewTokens", "≥ 0")
        try check(repetitionPenalty > 0 && repetitionPenalty.isFinite, "repetitionPenalty", "a finite value > 0")
    }
}

public enum SamplingError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(field: String, expected: String)
    case emptyPrompt(row: Int)
    case tokenOutOfRange(row: Int, token: Int32, vocabularySize: Int)
    case contextExceeded(promptLength: Int, newTokens: Int, contextLength: Int)
    case nonFiniteLogits(row: Int, step: Int)

    public var description: String {
        switch self {
        case let .invalidParameter(field, expected): return "sampling parameter \(field) must be \(expected)"
        case let .emptyPrompt(row): return "prompt \(row) is empty; give at least one token (e.g. <|endoftext|>)"
        case let .tokenOutOfRange(row, token, size): return "prompt \(row) holds token \(token), outside the vocabulary of \(size)"
        case let .contextExceeded(prompt, new, context):
            return "a \(prompt)-token prompt plus \(new) new tokens exceeds the context of \(context) tokens"
        case let .nonFiniteLogits(row, step):
            return "the model's next-token scores for prompt \(row) hold NaN or +∞ at new token \(step) (its weights may have diverged)"
        }
    }
}

public enum FinishReason: String, Codable, Sendable {
    /// A stop token was generated.
    case stop
    /// The length limit was reached.
    case length
    /// The caller's observer ended the row (a person pressed stop).
    case interrupted
}

public struct Generation: Sendable, Equatable {
    public var tokens: [Int32]
    public var finishReason: FinishReason

    public init(tokens: [Int32], finishReason: FinishReason) {
        self.tokens = tokens
        self.finishReason = finishReason
    }
}

extension CausalLanguageModel {
    /// Continues each prompt. Rows are left-padded to a common length with `padding` (ignored by
    /// attention) and decoded together; a finished row stops collecting tokens. `adjust`, when
    /// given, turns each step's final hidden states [B, C] and logits [B, V] into the logits the
    /// token is chosen from (ILQL adds β-weighted advantages of its heads). `observe`, when
    /// given, sees each row's new tokens other than stop tokens as they are chosen (streaming);
    /// returning false ends that row there.
    public func generate(
        prompts: [[Int32]], parameters: SamplingParameters, generator: inout RandomGenerator, padding: Int32 = 0,
        adjustingLogits adjust: ((_ hidden: Tensor, _ logits: Tensor) throws -> Tensor)? = nil,
        observe: ((_ row: Int, _ token: Int32) -> Bool)? = nil
    ) throws -> [Generation] {
        try parameters.validate()
        for (row, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else { throw SamplingError.emptyPrompt(row: row) }
            if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw SamplingError.tokenOutOfRange(row: row, token: bad, vocabularySize: vocabularySize)
            }
        }
        let promptLength = prompts.map(\.count).max() ?? 0
        guard parameters.maxNewTokens <= contextLength - promptLength else {
            throw SamplingError.contextExceeded(promptLength: promptLength, newTokens: parameters.maxNewTokens, contextLength: contextLength)
        }
        var results = prompts.map { _ in Generation(tokens: [], finishReason: .length) }
        guard !prompts.isEmpty, parameters.maxNewTokens > 0 else { return results }
        let batch = try TokenBatch.leftPadded(prompts, padding: padding)
        let cache = makeCache(batch: prompts.count, capacity: promptLength + parameters.maxNewTokens, firstPosition: batch.firstPosition)
        // Chat prompts share their template's opening, which is read once for all rows.
        let shared = TokenBatch.sharedPrefixLength(of: prompts)
        let hidden = shared == 0
            ? try decode(batch, cache: cache)
            : try decode(TokenBatch.leftPadded(prompts, padding: padding, droppingPrefix: shared), after: Array(prompts[0].prefix(shared)), cache: cache)
        let nextLogits = { (hidden: Tensor) throws -> Tensor in
            let logits = try self.logits(hidden, tape: nil)
            return try adjust?(hidden, logits) ?? logits
        }
        var logits = try nextLogits(hidden.gathered(at: Array(repeating: Int32(promptLength - shared - 1), count: prompts.count)))
        var finished = Array(repeating: false, count: prompts.count)
        let stops = Set(parameters.stopTokens)
        let padCounts = batch.firstPosition ?? Array(repeating: 0, count: prompts.count)
        var repetition = parameters.repetitionPenalty == 1 ? nil : RepetitionPenalty(parameters.repetitionPenalty, prompts: prompts)
        for step in 0..<parameters.maxNewTokens {
            var next: [Int32] = []
            for row in prompts.indices {
                guard !finished[row] else {
                    next.append(padding)
                    continue
                }
                let rowLogits = logits.data + row * vocabularySize
                repetition?.penalize(rowLogits, row: row)
                // −∞ masks a token; NaN or +∞ has no distribution to draw from.
                for j in 0..<vocabularySize where rowLogits[j].isNaN || rowLogits[j] == .infinity {
                    throw SamplingError.nonFiniteLogits(row: row, step: step)
                }
                let token = TokenChooser.choose(rowLogits, count: vocabularySize, parameters: parameters, generator: &generator)
                repetition?.record(token, row: row)
                results[row].tokens.append(token)
                if stops.contains(token) {
                    finished[row] = true
                    results[row].finishReason = .stop
                } else if let observe, !observe(row, token) {
                    finished[row] = true
                    results[row].finishReason = .interrupted
                }
                next.append(token)
            }
            if finished.allSatisfy({ $0 }) || step == parameters.maxNewTokens - 1 { break }
            let position = promptLength + step
            let input = TokenBatch(
                tokens: try TokenGrid(batch: prompts.count, time: 1, ids: next),
                positions: try TokenGrid(batch: prompts.count, time: 1, ids: padCounts.map { Int32(position) - $0 }),
                firstPosition: batch.firstPosition)
            logits = try nextLogits(decode(input, cache: cache).reshaped([prompts.count, hiddenSize]))
        }
        return results
    }
}
