import AMERuntime
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `ame seed` then `ame serve` as a user runs them: real processes, a real socket on a free
/// loopback port, the embedded store on disk.
@Suite(.serialized) struct ServeProcessTests {
    /// The `ame` binary next to the test bundle (built by `swift build --build-tests` / `swift test`).
    static var binary: URL? {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent("ame"), bundle.deletingLastPathComponent().appendingPathComponent("ame"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static var integrationRequired: Bool { ProcessInfo.processInfo.environment["AME_REQUIRE_INTEGRATION"] == "1" }

    /// The binary; `nil` (the test skips, and says so) when it is missing and integration tests
    /// are not required, a failure when they are.
    static func requireBinary() -> URL? {
        if let binary { return binary }
        #expect(!integrationRequired, "the ame binary was not built next to the tests")
        print("ServeProcessTests: skipped, the ame binary is missing (set AME_REQUIRE_INTEGRATION=1 to require it)")
        return nil
    }

    @Test func seedThenServeAnswersTheNestedQuery() async throws {
        guard let binary = Self.requireBinary() else { return }
        let data = Self.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let seed = try Self.seed(binary, data, corporations: 2, places: 4, contacts: 10, requests: 3)
        #expect(seed.status == 0)
        #expect(seed.output.contains("10 contacts"))

        let (server, port, _) = try Self.serve(binary, data: data)
        defer {
            server.terminate()
            server.waitUntilExit()
        }

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphql")!)
        request.httpMethod = "POST"
        request.setValue("acme", forHTTPHeaderField: "X-Endpoint-Id")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let query =
            "{ contactProfileList(limit: 10) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }"
        request.httpBody = Data((["query": .string(query)] as JSONValue).jsonText.utf8)
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let json = try JSONValue.parse(bytes: Array(body))
        let contacts = json["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == 10)
        #expect(contacts.allSatisfy { $0["place"]?["corporationProfile"]?["businessName"]?.stringValue != nil })
        #expect(json["extensions"]?["cost"]?["storeCalls"] == 3)
    }

    @Test func serveRefusesANonLoopbackAddressWithoutAuthentication() throws {
        guard let binary = Self.requireBinary() else { return }
        let data = Self.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let result = try Self.run(binary, ["serve", "--data-dir", data.path, "--host", "0.0.0.0", "--port", "0"])
        #expect(result.status != 0)
        #expect(result.output.contains("refusing to serve on 0.0.0.0"))
    }

    @Test func sigtermLetsInFlightRequestsFinishClosesTheStoreAndExitsCleanly() async throws {
        guard let binary = Self.requireBinary() else { return }
        let data = Self.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let seed = try Self.seed(binary, data, corporations: 5, places: 20, contacts: 200, requests: 0)
        #expect(seed.status == 0)
        let (server, port, logs) = try Self.serve(binary, data: data)
        let url = URL(string: "http://127.0.0.1:\(port)")!

        func post() async -> Result<Int, any Error> {
            var request = URLRequest(url: url.appendingPathComponent("graphql"))
            request.httpMethod = "POST"
            request.setValue("acme", forHTTPHeaderField: "X-Endpoint-Id")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let query =
                "{ contactProfileList(limit: 100) { contactProfileList { email data place { businessName corporationProfile { businessName data } } } } }"
            request.httpBody = Data((["query": .string(query)] as JSONValue).jsonText.utf8)
            do {
                let (body, response) = try await URLSession.shared.data(for: request)
                let json = try JSONValue.parse(bytes: Array(body))
                guard (response as? HTTPURLResponse)?.statusCode == 200,
                    json["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 100
                else { return .success(0) }
                return .success(1)
            } catch {
                return .failure(error)
            }
        }
        // Metrics are served, with the store's and the requests' counters.
        _ = await post()
        let (metrics, _) = try await URLSession.shared.data(from: url.appendingPathComponent("metrics"))
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(text.contains("ame_http_requests_total{operation=\"anonymous\",status=\"200\"} 1"))
        #expect(text.contains("ame_store_requests_total{operation=\"Query\"}"))

        let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for _ in 0..<12 { group.addTask { await post() } }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(30))
                kill(server.processIdentifier, SIGTERM)
                return .success(0)
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let deadline = Date().addingTimeInterval(20)
        while server.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning)
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        // Every request the server took was answered in full; the others were refused, not cut.
        let answered = results.reduce(0) { $0 + ((try? $1.get()) ?? 0) }
        let failures = results.compactMap { result -> URLError? in
            if case .failure(let error) = result { return error as? URLError }
            return nil
        }
        #expect(answered + failures.count == 12)
        #expect(failures.allSatisfy { $0.code == .cannotConnectToHost })
        #expect(answered > 0)
        let logged = String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(logged.contains("\"message\":\"stopped\""))
        // The store was closed cleanly: its write-ahead log was folded into the database file.
        let wal =
            (try? FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("ame.sqlite-wal").path))?[
                .size] as? Int
        #expect((wal ?? 0) == 0)
    }

    /// A new data folder's path (created by the command that uses it).
    static func dataFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ame-serve-\(UUID().uuidString)")
    }

    /// `ame seed` of tenant `acme` into `data`.
    static func seed(
        _ binary: URL, _ data: URL, corporations: Int, places: Int, contacts: Int, requests: Int
    ) throws
        -> (status: Int32, output: String)
    {
        try run(
            binary,
            [
                "seed", "--data-dir", data.path, "--endpoint-id", "acme", "--corporations", String(corporations),
                "--places", String(places), "--contacts", String(contacts), "--requests", String(requests),
            ])
    }

    /// Starts `ame serve` on a free loopback port over `data`, with `environment`'s settings
    /// added to the test's own; its standard error is in `logs`.
    static func serve(
        _ binary: URL, data: URL, environment: [String: String] = [:]
    ) throws
        -> (server: Process, port: Int, logs: Pipe)
    {
        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--data-dir", data.path, "--host", "127.0.0.1", "--port", "0"]
        server.environment = ProcessCoverage.environment().merging(environment) { $1 }
        let output = Pipe()
        let logs = Pipe()
        server.standardOutput = output
        server.standardError = logs
        try server.run()
        guard let port = waitForPort(output.fileHandleForReading) else {
            server.terminate()
            throw ServeFailure()
        }
        return (server, port, logs)
    }

    struct ServeFailure: Error, CustomStringConvertible {
        var description: String { "ame serve did not print its address within 30 s" }
    }

    /// Runs `binary` to its end; `environment` is added to the test's own.
    static func run(
        _ binary: URL, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessCoverage.environment().merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Reads the server's start line, `ame: serving GraphQL on http://127.0.0.1:PORT/graphql`,
    /// giving up after 30 seconds so a server that never starts fails the test instead of hanging it.
    static func waitForPort(_ handle: FileHandle) -> Int? {
        final class StartLine: @unchecked Sendable {
            let lock = NSLock()
            var text = ""
            let found = DispatchSemaphore(value: 0)
        }
        let start = StartLine()
        handle.readabilityHandler = { handle in
            let chunk = handle.availableData
            start.lock.lock()
            start.text += String(decoding: chunk, as: UTF8.self)
            let done = chunk.isEmpty || start.text.contains("/graphql")
            start.lock.unlock()
            if done {
                handle.readabilityHandler = nil
                start.found.signal()
            }
        }
        guard start.found.wait(timeout: .now() + 30) == .success else { return nil }
        start.lock.lock()
        defer { start.lock.unlock() }
        guard let range = start.text.range(of: "http://127.0.0.1:"),
            let end = start.text[range.upperBound...].firstIndex(of: "/")
        else { return nil }
        return Int(start.text[range.upperBound..<end])
    }
}
