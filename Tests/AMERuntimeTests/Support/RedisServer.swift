import AMERuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `redis-server` (Debian's `redis-server` package) on a free loopback port, one per test
/// that asks for it, so a test may stop and restart its own. A watcher ends it if the test
/// process dies first.
///
/// Without `AME_REQUIRE_INTEGRATION=1`, tests that need it are skipped (and say so) when
/// `redis-server` is not installed; with it, they fail.
final class RedisServer: @unchecked Sendable {
    let port: Int
    let password: String?
    private var process: Process?

    /// A started server, or `nil` when `redis-server` is missing and integration is not required.
    static func start(password: String? = nil) async throws -> RedisServer? {
        guard MotoServer.find("redis-server") != nil else {
            let message = "redis-server is not installed (apt-get install redis-server)"
            if MotoServer.integrationRequired { throw MotoServer.Unavailable(description: message) }
            print("Redis tests skipped: \(message); set AME_REQUIRE_INTEGRATION=1 to require them")
            return nil
        }
        let server = RedisServer(port: try FreePort.find(), password: password)
        try await server.run()
        return server
    }

    private init(port: Int, password: String?) {
        self.port = port
        self.password = password
    }

    var url: String {
        "redis://" + (password.map { ":\($0)@" } ?? "") + "127.0.0.1:\(port)"
    }

    /// Starts the server (again, after ``stop()``) on the same port.
    func run() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MotoServer.find("redis-server")!)
        process.arguments =
            [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            ] + (password.map { ["--requirepass", $0] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = [
            "-c",
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(process.processIdentifier) 2>/dev/null; do sleep 1; done; kill \(process.processIdentifier) 2>/dev/null",
        ]
        try watcher.run()
        if try await FreePort.waitUntilListening(port, seconds: 20) { return }
        throw MotoServer.Unavailable(description: "redis-server did not start on port \(port)")
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    func kill() {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { kill() }
}
