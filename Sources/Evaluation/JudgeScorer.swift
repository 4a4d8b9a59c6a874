// The evaluation judges beside the reward model: the hidden judges of the simulated annotators,
// scoring token ids as the reward model's scorer does. The population judge (the mean of all
// human raters) never trains anything; it only measures.
import Annotators
import LanguageModeling
import RewardModeling

/// Scores decoded responses with a hidden judge (an individual rater's column or the population mean).
public struct JudgeScorer: ResponseScorer {
    let judge: HiddenJudge
    let model: LanguageModel

    package init(judge: HiddenJudge, model: LanguageModel) {
        self.judge = judge
        self.model = model
    }

    public func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        let stops = Set(model.stopTokens)
        return try responses.map { judge.score(try model.decode($0.filter { !stops.contains($0) })) }
    }
}
