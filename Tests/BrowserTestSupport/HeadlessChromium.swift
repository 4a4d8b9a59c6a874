// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe: headless Chromium gets
// commands on fd 3 and answers on fd 4, NUL-terminated JSON, so no WebSocket is needed.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the browser could not be driven.
package struct DevToolsError: Error, CustomStringConvertible {
    package var description: String
}

/// A headless Chromium child process and one page in it.
///
/// Unchecked Sendable: a test drives it one command at a time, so its buffers are never shared.
package final class HeadlessChromium: @unchecked Sendable {
    private let pid: pid_t
    private let commands: FileHandle
    private let answers: FileHandle
    private var unread = Data()
    private var nextID = 0
    private var sessionID: String?
    private let profile: URL
    /// Chromium's own output, for failure messages.
    package let logFile: URL

    /// The first Chromium found on the PATH (Debian's package installs /usr/bin/chromium).
    package static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Starts Chromium headless with a throwaway profile and opens one blank page.
    package init(executable: String) async throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        logFile = profile.appendingPathExtension("log")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw DevToolsError(description: "cannot create \(logFile.path)")
        }
        let toBrowser = try Self.pipeAboveStandardDescriptors()
        let fromBrowser = try Self.pipeAboveStandardDescriptors()
        let arguments = [
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--remote-debugging-pipe", "--user-data-dir=\(profile.path)", "about:blank",
        ]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser.read, 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser.write, 4)
        posix_spawn_file_actions_addopen(&actions, 1, logFile.path, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logFile.path, O_WRONLY | O_APPEND, 0)
        Self.closeInheritedDescriptors(from: 5, in: &actions)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        Glibc.close(toBrowser.read)
        Glibc.close(fromBrowser.write)
        guard status == 0 else { throw DevToolsError(description: "cannot start \(executable): error \(status)") }
        pid = child
        commands = FileHandle(fileDescriptor: toBrowser.write, closeOnDealloc: true)
        answers = FileHandle(fileDescriptor: fromBrowser.read, closeOnDealloc: true)
        let target = try await send("Target.createTarget", ["url": "about:blank"], toPage: false)
        let attached = try await send("Target.attachToTarget", ["targetId": target["targetId"] as Any, "flatten": true], toPage: false)
        sessionID = attached["sessionId"] as? String
        _ = try await send("Page.enable")
        _ = try await send("Runtime.enable")
    }

    /// Has the child close every descriptor from `first` on. Foundation's pipes are not
    /// close-on-exec, so a browser started while another test reads a process's output would hold
    /// a copy of that pipe's write end, and the reader would wait for the browser to exit. glibc
    /// has had `posix_spawn_file_actions_addclosefrom_np` since 2.34, but Swift's Glibc module
    /// does not declare it: it is looked up, and without it the child inherits as before.
    private static func closeInheritedDescriptors(from first: Int32, in actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, first)
    }

    /// Pipe ends numbered 10 or above and closed on exec, so the child's fds 3 and 4 get exactly
    /// the two ends meant for it.
    private static func pipeAboveStandardDescriptors() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DevToolsError(description: "pipe failed: errno \(errno)") }
        let moved = fds.map { fd -> Int32 in
            let high = fcntl(fd, F_DUPFD_CLOEXEC, 10)
            Glibc.close(fd)
            return high
        }
        return (moved[0], moved[1])
    }

    /// Sends one command and waits for its answer, skipping the events that arrive meanwhile.
    @discardableResult
    package func send(_ method: String, _ params: [String: Any] = [:], toPage: Bool = true) async throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if toPage, let sessionID { message["sessionId"] = sessionID }
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0)
        try commands.write(contentsOf: data)
        let id = nextID
        // Reading blocks, so it happens on a Dispatch thread, never on the cooperative pool that
        // the in-process server under test needs.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.readAnswer(to: id, method: method) })
            }
        }
    }

    private func readAnswer(to id: Int, method: String) throws -> [String: Any] {
        while true {
            while let end = unread.firstIndex(of: 0) {
                let frame = unread[unread.startIndex..<end]
                unread = Data(unread[(end + 1)...])
                guard let json = try JSONSerialization.jsonObject(with: frame) as? [String: Any], json["id"] as? Int == id else { continue }
                if let error = json["error"] as? [String: Any] {
                    throw DevToolsError(description: "\(method) failed: \(error["message"] ?? error)")
                }
                return json["result"] as? [String: Any] ?? [:]
            }
            // availableData returns as soon as anything arrives; read(upToCount:) would wait for
            // the whole count or end of file.
            let chunk = answers.availableData
            guard !chunk.isEmpty else { throw DevToolsError(description: "Chromium closed the pipe during \(method)") }
            unread.append(chunk)
        }
    }

    /// Evaluates a JavaScript expression in the page (awaiting promises) and returns its value.
    package func evaluate(_ expression: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw DevToolsError(description: "script failed: \(exception["text"] ?? exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `condition` until it is true, or fails after `seconds`.
    package func waitUntil(_ condition: String, seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await evaluate(condition) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DevToolsError(description: "timed out waiting for: \(condition)")
    }

    /// Loads `url` and waits until the document has finished loading.
    package func open(_ url: String) async throws {
        try await send("Page.navigate", ["url": url])
        try await waitUntil("document.readyState === 'complete' && location.href.startsWith('http')")
    }

    /// A real mouse click (press and release) at the centre of the first element matching `selector`.
    package func click(_ selector: String) async throws {
        let box = try await evaluate("""
            (() => { const e = document.querySelector(\(try Self.quoted(selector))); e.scrollIntoView({block: 'center'});
                     const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()
            """) as? [Double]
        guard let box, box.count == 2 else { throw DevToolsError(description: "no element matches \(selector)") }
        for type in ["mousePressed", "mouseReleased"] {
            try await send("Input.dispatchMouseEvent", ["type": type, "x": box[0], "y": box[1], "button": "left", "clickCount": 1])
        }
    }

    /// A JavaScript string literal for `text`.
    package static func quoted(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    /// Ends the browser and removes its profile and log.
    package func close() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: profile)
        try? FileManager.default.removeItem(at: logFile)
    }
}
