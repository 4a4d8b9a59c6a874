// swift-tools-version:6.2
import PackageDescription

/// Hand-written SIMD loops only become AVX2 + FMA code when the target CPU is named: without it
/// `SIMD8<Float>` arithmetic lowers to scalar library calls.
let vectorized: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

let package = Package(
    name: "RLHFWorkbench",
    platforms: [.macOS(.v14)],
    products: [],
    dependencies: [],
    targets: [
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Randomness"),
        .target(name: "Tokenization"),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "Randomness"]),
    ]
)
