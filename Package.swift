// swift-tools-version:6.2
import PackageDescription

/// Hand-written SIMD loops only become AVX2 + FMA code when the target CPU is named: without it
/// `SIMD8<Float>` arithmetic lowers to scalar library calls.
let vectorized: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

let package = Package(
    name: "RLHFWorkbench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rlhf-bench", targets: ["Benchmarks"]),
    ],
    dependencies: [],
    targets: [
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Randomness"),
        .target(name: "Tokenization"),
        .target(name: "Kernels", dependencies: ["CBLAS"], swiftSettings: vectorized),
        .target(name: "Tensors", dependencies: ["Kernels", "Randomness"], swiftSettings: vectorized),
        .target(name: "Optimization", dependencies: ["Kernels", "Tensors"], swiftSettings: vectorized),
        .target(name: "Checkpoints", dependencies: ["Tensors"]),
        .target(name: "Transformer", dependencies: ["Kernels", "Tensors", "Checkpoints", "Randomness"], swiftSettings: vectorized),
        .target(name: "Corpora"),
        .target(name: "Reporting"),
        .target(name: "ConfigFiles"),
        .target(name: "LanguageModeling", dependencies: ["Transformer", "Tokenization", "Checkpoints", "Tensors", "Randomness"]),
        .target(
            name: "Finetuning",
            dependencies: ["LanguageModeling", "Transformer", "Tensors", "Optimization", "Checkpoints", "Reporting", "Randomness"]),
        .executableTarget(
            name: "Benchmarks", dependencies: ["CBLAS", "Kernels", "Tensors", "Optimization", "Randomness"],
            swiftSettings: vectorized),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"], swiftSettings: vectorized),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "Tensors", "TestSupport"]),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Checkpoints", "Optimization", "Tensors", "Randomness", "TestSupport"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "Randomness"]),
    ]
)
