// How long a learning round's stages run: at least their steps, raised to cover a few passes
// over the examples, but never past their ceiling however many corrections accumulate.
import Testing
@testable import CorrectionLearning

@Test func aStageGrowsWithItsExamplesUpToItsCeiling() throws {
    let stage = LearningConfiguration().sft
    #expect(stage.settings(examples: 1).steps == 10 && stage.settings(examples: 1).batchSize == 1)
    #expect(stage.settings(examples: 40).steps == 15, "3 passes over 40 examples in batches of 8")
    #expect(stage.settings(examples: 100_000).steps == 300)
    var unbounded = stage
    unbounded.maximumSteps = nil
    #expect(unbounded.settings(examples: 100_000).steps == 37_500)

    var configuration = LearningConfiguration()
    configuration.dpo.maximumSteps = 0
    #expect(throws: LearningError.invalidSetting(field: "dpo.maximumSteps", expected: "≥ 1, or absent for no limit")) {
        try configuration.validate()
    }
}
