// Backbone features already computed, by token sequence, kept in a safetensors file so that
// training a head again (other settings, another seed) or evaluating it skips the backbone.
import Checkpoints
import Foundation
import StableHashing

public final class BackboneFeatureCache {
    public let url: URL
    public let width: Int
    /// Names the backbone file the features came from; a cache of another backbone is refused.
    public let backbone: String
    private var rows: [UInt64: [Float]] = [:]
    private var order: [UInt64] = []

    /// Opens the cache at `url`, reading it if it exists.
    public init(url: URL, width: Int, backbone: String) throws {
        self.url = url
        self.width = width
        self.backbone = backbone
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let (tensors, metadata) = try SafeTensors.read(url)
        guard metadata["backbone"] == backbone else {
            throw CheckpointError.invalidField(path: url.path, field: "backbone", reason: "is \(metadata["backbone"] ?? "missing"), the model's is \(backbone): use another cache file")
        }
        guard let features = tensors["features"], let keys = metadata["keys"] else { throw CheckpointError.missingTensor(path: url.path, tensor: "features") }
        let digests = keys.split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard features.shape == [digests.count, width] else {
            throw CheckpointError.shapeMismatch(path: url.path, tensor: "features", expected: [digests.count, width], found: features.shape)
        }
        for (row, digest) in digests.enumerated() { insert(Array(features.values[(row * width)..<((row + 1) * width)]), digest: digest) }
    }

    public var count: Int { order.count }

    public func features(of sequence: [Int32]) -> [Float]? { rows[Self.digest(sequence)] }

    public func insert(_ features: [Float], for sequence: [Int32]) { insert(features, digest: Self.digest(sequence)) }

    private func insert(_ features: [Float], digest: UInt64) {
        if rows.updateValue(features, forKey: digest) == nil { order.append(digest) }
    }

    /// Writes the cache (atomically).
    public func save() throws {
        let values = order.flatMap { rows[$0]! }
        let keys = order.map { String($0, radix: 16) }.joined(separator: ",")
        try values.withUnsafeBufferPointer { buffer in
            try SafeTensors.write([("features", [order.count, width], buffer)], metadata: ["backbone": backbone, "keys": keys], to: url)
        }
    }

    /// FNV-1a over the token ids: 64 bits leave a collision among a million sequences at odds
    /// of about 1 in 10⁷.
    static func digest(_ sequence: [Int32]) -> UInt64 {
        var hash = StableHash()
        hash.combine(tokens: sequence)
        return hash.value
    }
}
