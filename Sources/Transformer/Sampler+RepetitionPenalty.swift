// The repetition penalty of CTRL (Keskar et al. 2019) with the semantics of Hugging Face's
// RepetitionPenaltyLogitsProcessor: each distinct token of the row so far has its logit divided by
// the penalty when positive and multiplied by it otherwise, once per step however often it
// occurred, on the raw logits before temperature and truncation. Unlike transformers, a batch's
// left padding is not part of any row, so padding tokens are never penalised.

struct RepetitionPenalty {
    let penalty: Float
    /// Each row's distinct tokens: its prompt's, then those it generated.
    private var seen: [Set<Int32>]

    init(_ penalty: Float, prompts: [[Int32]]) {
        self.penalty = penalty
        seen = prompts.map(Set.init)
    }

    /// Penalises row `row`'s logits in place (every token id seen is inside the vocabulary).
    func penalize(_ logits: UnsafeMutablePointer<Float>, row: Int) {
        for token in seen[row] {
            let logit = logits[Int(token)]
            logits[Int(token)] = logit > 0 ? logit / penalty : logit * penalty
        }
    }

    mutating func record(_ token: Int32, row: Int) {
        seen[row].insert(token)
    }
}
