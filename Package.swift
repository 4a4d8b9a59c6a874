// swift-tools-version:6.2
import PackageDescription

/// Hand-written SIMD loops only become AVX2 + FMA code when the target CPU is named: without it
/// `SIMD8<Float>` arithmetic lowers to scalar library calls.
let vectorized: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

let package = Package(
    name: "RLHFWorkbench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rlhf", targets: ["rlhf"]),
        .executable(name: "rlhf-bench", targets: ["Benchmarks"]),
        .executable(name: "rlhf-feedback-load", targets: ["FeedbackLoad"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Foundations shared by every stage.
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Randomness"),
        .target(name: "Reporting", dependencies: ["TextFiles"]),
        .target(name: "ConfigFiles"),
        .target(name: "Corpora"),
        .target(name: "StableHashing"),
        .target(name: "Tokenization", dependencies: ["StableHashing"]),

        // The numerical engine and the model.
        .target(name: "Kernels", dependencies: ["CBLAS"], swiftSettings: vectorized),
        .target(name: "Tensors", dependencies: ["Kernels", "Randomness"], swiftSettings: vectorized),
        .target(name: "Optimization", dependencies: ["Kernels", "Tensors"], swiftSettings: vectorized),
        .target(name: "TextFiles"),
        .target(name: "AtomicFiles", dependencies: ["TextFiles"]),
        .target(name: "Checkpoints", dependencies: ["AtomicFiles", "Tensors"]),
        .target(name: "Transformer", dependencies: ["AtomicFiles", "TextFiles", "Kernels", "Tensors", "Checkpoints", "Randomness"], swiftSettings: vectorized),
        .target(name: "LanguageModeling", dependencies: ["AtomicFiles", "Transformer", "Tokenization", "Checkpoints", "Tensors", "Randomness"]),

        // Data-parallel ranks on Open MPI, loaded at run time (a single process needs no MPI).
        .target(name: "CMessagePassing", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "DataParallel", dependencies: ["CMessagePassing"]),

        // What every trainer's run shares (its folder, settings, held-out split, NaN stop), and
        // the next-token training data that pretraining, SFT and PPO-ptx read.
        .target(name: "TrainingRuns", dependencies: ["AtomicFiles", "TextFiles", "Checkpoints", "Optimization", "StableHashing"]),
        .target(name: "LanguageModelData", dependencies: ["Transformer", "Tensors", "Randomness"]),
        .target(
            name: "Finetuning",
            dependencies: [
                "AtomicFiles", "DataParallel", "LanguageModelData", "LanguageModeling", "TrainingRuns", "Transformer", "Tokenization", "Corpora", "Tensors",
                "Optimization", "Checkpoints", "Reporting", "Randomness", "StableHashing", "TextFiles",
            ]),

        // Stage 2: the reward model, trained on plain comparisons; the scorer protocols PPO and
        // evaluation judge with.
        .target(
            name: "RewardModeling",
            dependencies: [
                "AtomicFiles", "DataParallel", "Transformer", "LanguageModeling", "Tensors", "Optimization", "Checkpoints", "TrainingRuns", "Reporting",
                "Randomness", "Corpora", "StableHashing",
            ]),
        // Comparisons read from the feedback store and JSONL files: the one place both meet.
        .target(name: "FeedbackComparisons", dependencies: ["Feedback", "RewardModeling"]),
        .target(
            name: "PolicyOptimization",
            dependencies: [
                "DataParallel", "LanguageModelData", "LanguageModeling", "RewardModeling", "TrainingRuns", "Transformer", "Tensors", "Optimization",
                "Checkpoints", "Reporting", "Randomness",
            ]),

        // Preference optimisation without RL: DPO, IPO and conservative DPO on the shared training loop.
        .target(
            name: "PreferenceOptimization",
            dependencies: ["DataParallel", "Finetuning", "LanguageModeling", "RewardModeling", "StableHashing", "Tensors", "TrainingRuns", "Transformer"]),
        // The chatbot learning from its users: the store's corrections and ratings train LoRA
        // adapters (SFT, then DPO) into versions the store records.
        .target(
            name: "CorrectionLearning",
            dependencies: [
                "AtomicFiles", "Checkpoints", "Feedback", "Finetuning", "LanguageModeling", "PreferenceOptimization", "Randomness", "TrainingRuns", "Transformer",
            ]),
        // Offline RL from stored judgments: ILQL's Q, target-Q and V heads on any causal LM.
        .target(
            name: "OfflineRL",
            dependencies: [
                "AtomicFiles", "DataParallel", "Finetuning", "Transformer", "LanguageModeling", "Tensors", "Kernels", "Checkpoints", "Optimization", "TrainingRuns",
                "Reporting", "Randomness", "RewardModeling",
            ],
            swiftSettings: vectorized),

        .target(
            name: "Evaluation",
            dependencies: ["Annotators", "LanguageModeling", "Ratings", "RewardModeling", "Transformer", "Tensors", "Randomness"]),
        .target(
            name: "Pipeline",
            dependencies: [
                "AtomicFiles", "ActiveLearning", "Annotators", "Checkpoints", "Corpora", "Evaluation", "Feedback", "FeedbackComparisons", "Finetuning", "LanguageModelData", "Ratings",
                "LanguageModeling", "PolicyOptimization", "PreferenceOptimization", "Randomness", "Reporting", "RewardModeling", "SimulatedLabeling",
                "TextFiles", "Tokenization", "TrainingRuns", "Transformer",
            ]),

        // Human feedback: pure rating maths, simulated raters, the store, the labeling server.
        .target(name: "Ratings", dependencies: ["Randomness"]),
        .target(name: "Annotators", dependencies: ["Randomness"]),
        // The parsers of what the store and the server are sent, free of database and server code
        // so the fuzz targets can build them.
        .target(name: "FeedbackFormats", dependencies: ["AtomicFiles", "TextFiles"]),
        .target(
            name: "Feedback",
            dependencies: [
                "FeedbackFormats", "Ratings", "Randomness",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(name: "SimulatedLabeling", dependencies: ["Feedback", "Annotators", "Randomness"]),
        // Active selection of labeling tasks: an ensemble of preference heads, or one Bayesian
        // head, on fixed features scores the store's tasks, and the learning-curve experiment
        // against random selection.
        .target(name: "ActiveLearning", dependencies: ["Annotators", "CBLAS", "Feedback", "Kernels", "Randomness", "SimulatedLabeling", "StableHashing"], swiftSettings: vectorized),
        .target(
            name: "FeedbackServer",
            dependencies: [
                "Feedback", "FeedbackFormats", "Ratings", "Randomness", "TextFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Executables.
        .executableTarget(
            name: "rlhf",
            dependencies: [
                "AtomicFiles", "ActiveLearning", "Feedback", "FeedbackServer", "Ratings", "Annotators", "SimulatedLabeling", "TextFiles",
                "DataParallel", "Kernels", "Finetuning", "LanguageModelData", "LanguageModeling", "TrainingRuns", "Transformer", "Tokenization", "Corpora",
                "Reporting", "ConfigFiles", "Randomness", "Tensors", "RewardModeling", "FeedbackComparisons", "PolicyOptimization",
                "OfflineRL", "PreferenceOptimization", "Evaluation", "Pipeline", "CorrectionLearning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "FeedbackLoad",
            dependencies: [
                "Feedback", "Annotators", "SimulatedLabeling", "Randomness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "CBLAS", "Kernels", "Tensors", "Optimization", "Randomness", "Transformer", "Tokenization", "LanguageModeling",
                "TrainingRuns", "RewardModeling", "PolicyOptimization", "DataParallel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: vectorized),

        // Tests: one target per module, sharing fixture readers and tolerances.
        .target(name: "TestSupport", dependencies: ["Randomness"], path: "Tests/TestSupport"),
        .target(name: "FeedbackTestSupport", dependencies: ["Feedback"], path: "Tests/FeedbackTestSupport"),
        .target(name: "BrowserTestSupport", path: "Tests/BrowserTestSupport"),
        .target(name: "ModelTestSupport", dependencies: ["LanguageModeling", "Tokenization", "Transformer"], path: "Tests/ModelTestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"], swiftSettings: vectorized),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "Tensors", "TestSupport"]),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "TextFiles"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "Randomness"]),
        .testTarget(
            name: "TransformerTests",
            dependencies: ["AtomicFiles", "Transformer", "Checkpoints", "Kernels", "LanguageModeling", "Optimization", "Tensors", "Randomness", "TestSupport"]),
        .testTarget(
            name: "FinetuningTests",
            dependencies: [
                "Finetuning", "LanguageModelData", "Optimization", "LanguageModeling", "TrainingRuns", "Transformer", "Tokenization", "Tensors",
                "Checkpoints", "ConfigFiles", "Randomness", "TestSupport",
            ]),
        .testTarget(
            name: "RewardModelingTests",
            dependencies: [
                "RewardModeling", "Checkpoints", "LanguageModeling", "Transformer", "Tokenization", "Tensors", "TrainingRuns", "Corpora",
                "Reporting", "TestSupport",
            ]),
        .testTarget(name: "FeedbackComparisonsTests", dependencies: ["FeedbackComparisons", "RewardModeling", "Feedback"]),
        .testTarget(
            name: "PolicyOptimizationTests",
            dependencies: [
                "PolicyOptimization", "RewardModeling", "TrainingRuns", "LanguageModeling", "Transformer", "Tokenization", "Tensors",
                "Optimization", "TestSupport",
            ]),
        .testTarget(
            name: "PreferenceOptimizationTests",
            dependencies: [
                "PreferenceOptimization", "Finetuning", "LanguageModeling", "RewardModeling", "Tensors", "TestSupport", "Tokenization",
                "TrainingRuns", "Transformer",
            ]),
        .testTarget(
            name: "OfflineRLTests",
            dependencies: [
                "OfflineRL", "Finetuning", "RewardModeling", "LanguageModeling", "Transformer", "Tokenization", "Tensors", "TrainingRuns",
                "Randomness", "Reporting", "TestSupport",
            ]),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "LanguageModeling", "RewardModeling", "Transformer", "Tokenization", "Tensors", "Randomness", "TestSupport"]),
        .testTarget(
            name: "CorrectionLearningTests",
            dependencies: [
                "CorrectionLearning", "Feedback", "FeedbackTestSupport", "Finetuning", "LanguageModeling", "ModelTestSupport", "Randomness", "TestSupport",
                "Tokenization", "Transformer",
            ]),
        .testTarget(
            name: "InputParsingTests",
            dependencies: [
                "Checkpoints", "ConfigFiles", "FeedbackFormats", "Finetuning", "LanguageModeling", "PreferenceOptimization", "Tokenization",
                "Transformer", "TestSupport",
            ]),
        .testTarget(
            name: "CommandLineTests", dependencies: [
                "BrowserTestSupport", "DataParallel", "Feedback", "FeedbackTestSupport", "Kernels", "LanguageModeling", "ModelTestSupport", "Randomness",
                "Tokenization", "Transformer",
            ]),
        .testTarget(name: "RatingsTests", dependencies: ["Ratings", "Randomness"], exclude: ["Fixtures"]),
        .testTarget(name: "AnnotatorsTests", dependencies: ["Annotators", "Randomness"]),
        .testTarget(name: "FeedbackTests", dependencies: ["Feedback", "FeedbackTestSupport", "Ratings"]),
        .testTarget(name: "SimulatedLabelingTests", dependencies: ["SimulatedLabeling", "Feedback", "Annotators", "Ratings"]),
        .testTarget(name: "ActiveLearningTests", dependencies: ["ActiveLearning", "Annotators", "Randomness"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "PolicyOptimization", "RewardModeling", "Evaluation", "ConfigFiles", "Corpora", "Feedback", "Ratings"]),
        .testTarget(name: "FeedbackLoadTests", dependencies: ["FeedbackLoad", "Feedback"]),
        .testTarget(
            name: "FeedbackServerTests",
            dependencies: [
                "BrowserTestSupport", "FeedbackServer", "Feedback", "FeedbackTestSupport", "Ratings", "TestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
    ]
)
