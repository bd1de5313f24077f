import AMERuntime
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `Tests/Support/fault_proxy.py` in front of the test run's `moto_server`: it answers
/// throttling and 500s, drops connections and returns partial `UnprocessedKeys` on demand.
actor FaultProxy {
    static let shared = FaultProxy()

    private var startup: Task<URL?, Error>?

    func start() async throws -> URL? {
        if let startup { return try await startup.value }
        let task = Task { try await Self.launch() }
        startup = task
        return try await task.value
    }

    private static func launch() async throws -> URL? {
        guard let upstream = try await MotoServer.shared.start() else { return nil }
        guard let python = MotoServer.find("python3") else {
            throw MotoServer.Unavailable(description: "python3 is needed for the fault-injection proxy")
        }
        let script = FreePort.supportScript("fault_proxy.py")
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, String(port), upstream.absoluteString, String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if try await FreePort.waitUntilListening(port, seconds: 30) { return URL(string: "http://127.0.0.1:\(port)")! }
        throw MotoServer.Unavailable(description: "the fault proxy did not start on port \(port)")
    }

    /// Queues faults, each for the next request of its target (`nil`: any target).
    static func queue(_ endpoint: URL, _ faults: [(String, target: String?)], reset: Bool = false) async throws {
        let list: [JSONValue] = faults.map { fault, target in
            var object: JSONObject = ["fault": .string(fault)]
            if let target { object["target"] = .string(target) }
            return .object(object)
        }
        _ = try await post(
            endpoint.appendingPathComponent("__faults"), ["faults": .array(list), "reset": .bool(reset)])
    }

    /// Requests seen by target, and faults not yet used.
    static func stats(_ endpoint: URL) async throws -> JSONValue {
        let (data, _) = try await URLSession.shared.data(from: endpoint.appendingPathComponent("__stats"))
        return try JSONValue.parse(bytes: Array(data))
    }

    private static func post(_ url: URL, _ body: JSONValue) async throws -> JSONValue {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.jsonText.utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        return try JSONValue.parse(bytes: Array(data))
    }
}
