import AMERuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real DynamoDB-API server (moto, from pip `moto[server]`, run by `Tests/Support/moto_serial.py`)
/// on a free loopback port, started once per test process and stopped when the process ends.
///
/// Without `AME_REQUIRE_INTEGRATION=1`, tests that need it are skipped (and say so) when
/// `moto_server` is not installed; with it, they fail.
actor MotoServer {
    static let shared = MotoServer()

    static var integrationRequired: Bool { ProcessInfo.processInfo.environment["AME_REQUIRE_INTEGRATION"] == "1" }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    private var startup: Task<URL?, Error>?

    /// The server's endpoint, starting it on first use (once, however many tests ask at the same
    /// time); `nil` when `moto_server` is not installed and integration tests are not required.
    func start() async throws -> URL? {
        if let startup { return try await startup.value }
        let task = Task { try await Self.launch() }
        startup = task
        return try await task.value
    }

    private static func launch() async throws -> URL? {
        guard let python = Self.find("python3"), Self.motoIsInstalled(python) else {
            let message = "moto is not installed (pip install 'moto[server]')"
            if Self.integrationRequired { throw Unavailable(description: message) }
            print("DynamoDB tests skipped: \(message); set AME_REQUIRE_INTEGRATION=1 to require them")
            return nil
        }
        let script = FreePort.supportScript("moto_serial.py")
        let port = try FreePort.find()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        // The server watches this process and exits with it.
        process.arguments = [script, "127.0.0.1", String(port), String(getpid())]
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        let url = URL(string: "http://127.0.0.1:\(port)")!
        if try await FreePort.waitUntilListening(port, seconds: 60) { return url }
        throw Unavailable(description: "moto did not start on port \(port) (see \(log.path))")
    }

    static func motoIsInstalled(_ python: String) -> Bool {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import moto.server, werkzeug"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }

    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A store talking to the server. The server answers one request at a time for every test
    /// that runs in parallel, so a request may queue behind many others: the deadlines are long
    /// (tests count store calls, never time them; fault tests set short deadlines of their own).
    static func store(endpoint: URL, tables: [TableDefinition]) -> DynamoDBStore {
        DynamoDBStore(
            configuration: DynamoDBConfiguration(
                endpoint: endpoint, region: "us-east-1",
                credentials: AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing"),
                retry: RetryPolicy(deadline: .seconds(120), attemptTimeout: .seconds(60))),
            tables: tables)
    }
}

/// Loopback ports for servers the tests start.
enum FreePort {
    /// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
    static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MotoServer.Unavailable(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw MotoServer.Unavailable(description: "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw MotoServer.Unavailable(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `Tests/Support/<name>`, the Python helpers the test servers run.
    static func supportScript(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Support/\(name)").path
    }

    /// Waits up to `seconds` for something to accept connections on 127.0.0.1:`port`.
    static func waitUntilListening(_ port: Int, seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if isListening(port) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
