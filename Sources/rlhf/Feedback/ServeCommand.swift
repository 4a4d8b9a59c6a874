// `rlhf serve`: the labeling, chat and leaderboard web server; with --versions the chat follows
// the store's active adapter version, with --learn-every it learns new ones as corrections come,
// and with --iterate the admin page starts rounds of online RLHF labelled on its labeling page.

import ArgumentParser
import AtomicFiles
import ConfigFiles
import CorrectionLearning
import Feedback
import FeedbackServer
import Foundation
import LanguageModeling
import Logging
import Pipeline
import Transformer

/// Runs the feedback web server until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the labeling, chat, leaderboard and admin pages.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "A model to generate completions and chat replies with: a checkpoint folder, a .gguf file (SmolLM2 chats in its ChatML template), or an adapter folder.")
    var model: String?

    @Option(help: "A PEFT adapter folder to apply on top of --model.")
    var adapter: String?

    @Option(help: "Address to listen on. Tokens travel in clear HTTP: keep loopback unless a TLS proxy fronts the server.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Flag(help: "Mark the session cookie Secure (behind an HTTPS proxy).")
    var secureCookies = false

    @Option(help: "Minutes a browser session may stay unused before it ends.")
    var sessionIdleMinutes = SessionLifetimes.standard.idle / 60

    @Option(help: "Hours after sign-in a browser session ends, however busy.")
    var sessionHours = SessionLifetimes.standard.absolute / 3600

    @Option(help: "The largest request body accepted, in bytes; longer ones are refused with 413.")
    var maxBodyBytes = FeedbackServerConfiguration.defaultBodyLimit

    @Option(help: "The most new judgments one annotator may make per --vote-window-minutes (no limit unless given).")
    var voteLimit: Int?

    @Option(help: "The window of --vote-limit, in minutes.")
    var voteWindowMinutes: Double = 24 * 60

    @Option(help: "Bootstrap resamples behind the leaderboard's confidence intervals.")
    var bootstrapRounds = 100

    @Option(help: "Sampling temperature of the model's completions and replies.")
    var temperature: Float = 0.9

    @Option(help: "Longest completion or reply, in tokens.")
    var maxNewTokens = 48

    @Option(help: "Seed of the model's sampling (each completion records its own seed).")
    var seed: UInt64 = 0

    @Option(help: "The folder of adapter versions (rlhf learn --output): the chat answers with the version the store marks active, and follows changes (a new version, a rollback on the admin page) without a restart.")
    var versions: String?

    @Option(help: "Learn a new adapter version in the background whenever this many corrections are not yet learned (needs --model and --versions).")
    var learnEvery: Int?

    @Option(help: "The learning configuration for --learn-every (as rlhf learn --config).")
    var learnConfig: String?

    @Option(help: "A run folder of rlhf iterate: the admin page starts its rounds, labelled by the people on this server's labeling page (needs --model, a checkpoint folder: the starting policy).")
    var iterate: String?

    @Option(help: "With --iterate: a JSON file of OnlineRLHFConfiguration fields laid over the defaults (as rlhf iterate --config).")
    var iterateConfig: String?

    @Option(help: "With --iterate: a further arena entrant, e.g. the pretrained model --model was fine-tuned from.")
    var iterateBase: String?

    @OptionGroup var data: DataFolderOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        guard bootstrapRounds > 0 else { throw ValidationError("--bootstrap-rounds must be positive, got \(bootstrapRounds)") }
        guard temperature == 0 || (temperature > 0 && temperature.isFinite && (1 / temperature).isFinite), maxNewTokens > 0 else {
            throw ValidationError("--temperature must be 0, or finite and positive with a finite reciprocal, and --max-new-tokens > 0")
        }
        if let learnEvery {
            guard learnEvery > 0 else { throw ValidationError("--learn-every must be positive, got \(learnEvery)") }
            guard model != nil, versions != nil else { throw ValidationError("--learn-every needs --model (the base) and --versions (where versions go)") }
        }
        // Bounded, so that lifetimes and windows stay whole numbers of seconds the server can count in.
        let year = 365.0 * 24
        guard sessionIdleMinutes > 0, sessionIdleMinutes <= year * 60, sessionHours > 0, sessionHours <= year else {
            throw ValidationError("--session-idle-minutes and --session-hours must be positive and at most a year, got \(sessionIdleMinutes) and \(sessionHours)")
        }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive, got \(maxBodyBytes)") }
        if let voteLimit, voteLimit <= 0 || !(voteWindowMinutes > 0 && voteWindowMinutes <= year * 60) {
            throw ValidationError("--vote-limit must be positive and --vote-window-minutes positive and at most a year, got \(voteLimit) and \(voteWindowMinutes)")
        }
        if versions != nil, model == nil { throw ValidationError("--versions needs --model, the base the versions adapt") }
        if iterate != nil, model == nil { throw ValidationError("--iterate needs --model, the policy the first round starts from") }
        if iterate == nil, iterateConfig != nil || iterateBase != nil { throw ValidationError("--iterate-config and --iterate-base need --iterate") }
    }

    func run() async throws {
        let store = try await database.openStore()
        var logger = Logger(label: "rlhf.serve")
        logger.logLevel = .notice
        let configuration = FeedbackServerConfiguration(
            host: host, port: port, secureCookies: secureCookies, leaderboardBootstrapRounds: bootstrapRounds,
            sessionLifetimes: SessionLifetimes(idle: sessionIdleMinutes * 60, absolute: sessionHours * 3600), bodyLimit: maxBodyBytes,
            voteLimit: voteLimit.map { VoteLimit(count: $0, window: voteWindowMinutes * 60) })
        let source = try model.map {
            try ModelCompletionSource(
                folder: URL(fileURLWithPath: $0), adapter: adapter.map { URL(fileURLWithPath: $0) },
                sampling: Transformer.SamplingParameters(temperature: temperature, maxNewTokens: maxNewTokens), seed: seed)
        }
        let loop = try source.flatMap { source in try versions.map { try learningLoop(store: store, chat: source, versions: $0) } }
        try await loop?.poll()
        let following = Task { await loop?.run() }
        defer { following.cancel() }
        let iteration = try iterate.map { try servedIteration(folder: $0) }
        let modelNote = model.map { "model \($0)" } ?? "no model loaded: chat is off"
        let app = try buildApplication(configuration: configuration, store: store, source: source, iteration: iteration, logger: logger) { port in
            // The load benchmark waits for this line; FileHandle writes are unbuffered, print's are not.
            let line = "listening on http://\(host):\(port) (database \(database.displayName); \(modelNote))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await app.runService()
    }

    private func servedIteration(folder: String) throws -> ServedIteration {
        let url = URL(fileURLWithPath: folder)
        let setup = ServedIteration.Setup(
            folder: url, configuration: try RunFolderConfiguration.prepare(url, config: iterateConfig, OnlineRLHFConfiguration()) { try $0.validate() },
            dataFolder: data.url, start: URL(fileURLWithPath: model ?? ""), base: iterateBase.map { URL(fileURLWithPath: $0) },
            store: database.location, pollInterval: 1)
        return ServedIteration(setup: setup) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    private func learningLoop(store: FeedbackStore, chat: ModelCompletionSource, versions: String) throws -> LearningLoop {
        let configuration = try learnConfig.map {
            try ConfigurationFile.load(LearningConfiguration.self, from: URL(fileURLWithPath: $0), defaults: LearningConfiguration()) { try $0.validate() }
        } ?? LearningConfiguration()
        // A --model that is itself an adapter folder names the base and is the starting adapter;
        // read where the model loads from, the previous folder if a save over it was cut short.
        let url = URL(fileURLWithPath: model ?? ""), readable = AtomicFolder.readable(url)
        let manager = FileManager.default
        let isAdapter = manager.fileExists(atPath: readable.appendingPathComponent("adapter_config.json").path)
            && !manager.fileExists(atPath: readable.appendingPathComponent("config.json").path)
        return LearningLoop(
            store: store, storeName: database.displayName, baseModel: isAdapter ? try LanguageModel.baseModel(of: readable) : url,
            startingAdapter: adapter.map { URL(fileURLWithPath: $0) } ?? (isAdapter ? url : nil),
            versions: URL(fileURLWithPath: versions), every: learnEvery, learner: try CorrectionLearner(configuration: configuration), chat: chat
        ) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
