// The active-curve experiment on a frozen backbone's features: every text is read once by the
// backbone (through a feature cache, so later runs skip it) and its final hidden state after the
// readout suffix becomes the heads' features, shared knowledge between words that hashed
// bag-of-words features lack.
import ActiveLearning
import Foundation
import LanguageModeling
import RewardModeling

extension ActiveCurveCommand {
    /// The featurizer of `texts` read by the backbone at `model`, standardised on `reference`.
    func backboneFeaturizer(model: String, texts: [String], reference: [String], folder: URL) throws -> EmbeddingFeaturizer {
        let reward = try RewardModel.frozen(LanguageModel.load(from: URL(fileURLWithPath: model), trainable: false), readout: readout)
        let cache = try reward.openFeatureCache(
            at: featureCache.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("backbone-features.safetensors"))
        let unique = Set(texts).sorted()
        let features = try reward.features(
            of: try unique.map { try reward.sequence(prompt: "", response: $0) }, cache: cache, progress: FeatureProgressBar(title: "backbone").update)
        try cache.save()
        let width = reward.width
        let embeddings = Dictionary(uniqueKeysWithValues: unique.enumerated().map { row, text in
            (text, Array(features[(row * width)..<((row + 1) * width)]))
        })
        return EmbeddingFeaturizer(embeddings: embeddings, reference: reference)
    }
}
