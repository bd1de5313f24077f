import Foundation

extension ServeProcessTests {
    /// Runs `body` against a new `ame serve` over an empty data folder, with `environment`'s
    /// settings, then stops the server and removes the folder. `nil` when the binary is missing and
    /// integration tests are not required (the test skips, and says so).
    static func withFreshServer<T>(
        environment: [String: String] = [:], _ body: (_ server: Process, _ port: Int) async throws -> T
    ) async throws -> T? {
        guard let binary = requireBinary() else { return nil }
        let data = dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let (server, port, _) = try serve(binary, data: data, environment: environment)
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        return try await body(server, port)
    }
}
