// The report's leaderboard says what its intervals are: their level, what was resampled, and
// when Bradley-Terry needed its ridge penalty.
import Testing
@testable import Feedback
@testable import Pipeline
import Ratings

@Test func theReportsLeaderboardNamesItsIntervalsAndTheRidge() {
    let battles = (0..<20).map { _ in Battle(modelA: "ppo", modelB: "sft", outcome: .winA) }
    let models = ModelLeaderboard(battles: battles, bootstrap: BradleyTerryBootstrap(rounds: 30, confidence: 0.9), seed: 1)
    #expect(models.isRegularized, "sft never won")
    let board = FeedbackLeaderboard(
        models: models, agreement: nil, agreementUnits: 0, judgments: 20, annotators: [], bootstrapRounds: 30, confidence: 0.9)
    let html = ReportParts.leaderboard(board)
    #expect(html.contains("Bradley-Terry [90% CI]"))
    #expect(html.contains("30 resamples of whole tasks"))
    #expect(html.contains("ridge penalty"))
}
