// The demo's prompts: held-out prompts come from held-out movies and are never a training prompt.
import Testing
@testable import Corpora
@testable import Pipeline

@Suite struct ReviewDataTests {
    // Reviews of 40 movies; every movie has one review opening with a phrase shared by all movies
    // and one whose opening is its own.
    let snippets = (0..<40).flatMap { movie in
        [
            ReviewSnippet(text: "It's a movie that works, number \(movie).", movie: "film_\(movie)", verdict: .fresh),
            ReviewSnippet(text: "Film \(movie) opens slowly and ends well.", movie: "film_\(movie)", verdict: .rotten),
        ]
    }

    @Test func heldOutPromptsLeaveOutEveryOpeningATrainingReviewShares() {
        let data = ReviewData(snippets: snippets, heldOutFraction: 0.25, seed: 3)
        #expect(data.heldOut.count == 20)
        let everything = ReviewData.prompts(from: data.heldOut, openingWords: 3, count: 100, seed: 1)
        #expect(everything.contains("It's a movie"))
        let (prompts, films) = data.heldOutPrompts(openingWords: 3, count: 100, seed: 1)
        let heldOutMovies = Set(data.heldOut.map(\.movie)).map { "Film \($0.dropFirst(5)) opens" }
        #expect(Set(prompts) == Set(heldOutMovies))
        #expect(prompts.count == 10)
        #expect(zip(prompts, films).allSatisfy { prompt, film in prompt == "Film \(film.dropFirst(5)) opens" }, "each prompt comes with its film")
    }

    @Test func aFilmFiledUnderTwoNamesIsNeverEvaluatedOnTextItWasTrainedOn() {
        // Every movie's first review is also filed under the next movie's name.
        let doubled = (0..<40).flatMap { movie in
            [
                ReviewSnippet(text: "Review of film \(movie).", movie: "film_\(movie)", verdict: .fresh),
                ReviewSnippet(text: "Review of film \((movie + 39) % 40).", movie: "film_\(movie)", verdict: .fresh),
            ]
        }
        let data = ReviewData(snippets: doubled, heldOutFraction: 0.25, seed: 3)
        let trained = Set(data.training.map(\.text))
        #expect(!data.heldOut.isEmpty && data.heldOut.allSatisfy { !trained.contains($0.text) })
        #expect(data.training.count == 60 && data.heldOut.count < 20)
    }

    @Test func promptsAreDistinctSeededAndCut() {
        let first = ReviewData.prompts(from: snippets, openingWords: 3, count: 30, seed: 7)
        #expect(first.count == 30 && Set(first).count == 30)
        #expect(first == ReviewData.prompts(from: snippets, openingWords: 3, count: 30, seed: 7))
        #expect(first != ReviewData.prompts(from: snippets, openingWords: 3, count: 30, seed: 8))
        #expect(ReviewData.prompts(from: snippets, openingWords: 3, count: 100, seed: 7).count == 41)
    }
}
