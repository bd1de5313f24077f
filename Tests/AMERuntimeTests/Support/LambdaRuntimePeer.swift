import AMERuntime
import AMEServer
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The `ame` binary next to the test bundle (built by `swift build --build-tests`).
enum AMEBinary {
    static var url: URL? {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent("ame"), bundle.deletingLastPathComponent().appendingPathComponent("ame"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

/// A running process with its output collected as it arrives.
final class RunningProcess: @unchecked Sendable {
    let process: Process
    private let lock = NSLock()
    private var collected = ""
    private var errors = ""

    /// What stops the process instead of SIGTERM (see ``stop()``).
    private let detach: (@Sendable () -> Void)?

    init(
        _ binary: URL, _ arguments: [String], environment: [String: String], folder: URL,
        detach: (@Sendable () -> Void)? = nil
    ) throws {
        self.detach = detach
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = folder
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil }
            self?.append(String(decoding: chunk, as: UTF8.self), error: false)
        }
        error.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil }
            self?.append(String(decoding: chunk, as: UTF8.self), error: true)
        }
        try process.run()
    }

    private func append(_ text: String, error: Bool) {
        lock.lock()
        if error { errors += text } else { collected += text }
        lock.unlock()
    }

    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    var errorOutput: String {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }

    /// Waits up to `seconds` for `text` on standard output; `false` if the process ended first.
    func waitFor(_ text: String, seconds: Double = 30) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func waitForExit(seconds: Double = 30) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The resident set size, from `/proc/PID/status`.
    var residentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// Asks the process to stop and waits up to 10 seconds before it kills it, so that what it
    /// writes at exit (a coverage build's profile, the store's last writes) is written: `ame
    /// serve` drains and exits on SIGTERM; `ame lambda` (which AWS stops with SIGKILL and which
    /// therefore does not handle SIGTERM) exits when its Runtime API goes away, so for it
    /// `detach` stops the peer instead.
    func stop() {
        guard process.isRunning else { return }
        if let detach { detach() } else { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// `Tests/Support/lambda_runtime_api.py`: the Lambda Runtime API on a loopback port, which hands
/// `ame lambda` the events a test invokes and records its answers.
struct LambdaRuntimePeer {
    let process: Process
    let port: Int

    static func start() async throws -> LambdaRuntimePeer {
        guard let python = MotoServer.find("python3") else {
            throw MotoServer.Unavailable(description: "python3 is needed for the Lambda Runtime API peer")
        }
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [FreePort.supportScript("lambda_runtime_api.py"), String(port), String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard try await FreePort.waitUntilListening(port, seconds: 30) else {
            process.terminate()
            throw MotoServer.Unavailable(description: "the Lambda Runtime API peer did not start on port \(port)")
        }
        return LambdaRuntimePeer(process: process, port: port)
    }

    var address: String { "127.0.0.1:\(port)" }

    /// What the function answered to one invocation.
    struct Answer {
        /// `response`, `error`, or `none` (no answer before the deadline).
        var kind: String
        var body: String
        var errorType: String?
        var beforeDeadline: Bool
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    /// Invokes the function with `event` (any bytes) and a deadline `timeoutMilliseconds` away.
    func invoke(_ event: [UInt8], timeoutMilliseconds: Int = 30_000, traceId: String? = nil) async throws -> Answer {
        var object: JSONObject = [
            "event_b64": .string(Data(event).base64EncodedString()), "timeout_ms": .int(timeoutMilliseconds),
        ]
        if let traceId { object["trace_id"] = .string(traceId) }
        var request = URLRequest(url: URL(string: "http://\(address)/__invoke")!)
        request.httpMethod = "POST"
        request.timeoutInterval = Double(timeoutMilliseconds) / 1000 + 60
        request.httpBody = Data(JSONValue.object(object).jsonText.utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let result = try JSONValue.parse(bytes: Array(data))
        return Answer(
            kind: result["kind"]?.stringValue ?? "", body: result["body"]?.stringValue ?? "",
            errorType: result["error_type"]?.stringValue, beforeDeadline: result["before_deadline"] == .bool(true))
    }

    func invoke(_ event: JSONValue, timeoutMilliseconds: Int = 30_000) async throws -> Answer {
        try await invoke(Array(event.jsonText.utf8), timeoutMilliseconds: timeoutMilliseconds)
    }

    func state() async throws -> JSONValue {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://\(address)/__state")!)
        return try JSONValue.parse(bytes: Array(data))
    }

    func stop() {
        guard process.isRunning else { return }
        // The test servers may inherit a blocked SIGTERM from the test process: SIGKILL.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
