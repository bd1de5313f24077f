import AMERuntime
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// AME as GraphQL clients that the project did not write see it: a real `ame serve` on a free
/// loopback port, driven by Python's `gql` and graphql-core (`Tests/Support/real_clients.py`), and
/// the allow-list mode fed by `ame operations manifest`.
@Suite(.serialized) struct RealClientTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Whether python3 with `gql` and `graphql-core` is there; when it is not, the test skips and
    /// says so (and fails under `AME_REQUIRE_INTEGRATION=1`).
    static func requirePythonClients() throws -> Bool {
        let probe = try ServeProcessTests.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import gql, graphql, requests"])
        if probe.status == 0 { return true }
        #expect(
            !ServeProcessTests.integrationRequired,
            "python3 lacks gql/graphql-core: pip install 'gql[requests]' graphql-core")
        print(
            "RealClientTests: skipped, python3 lacks gql[requests] or graphql-core (set AME_REQUIRE_INTEGRATION=1 to require them)"
        )
        return false
    }

    @Test func gqlAndGraphQLCoreWorkAgainstARealServer() async throws {
        guard let binary = ServeProcessTests.requireBinary(), try Self.requirePythonClients() else { return }
        let data = ServeProcessTests.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let seed = try ServeProcessTests.seed(binary, data, corporations: 2, places: 4, contacts: 6, requests: 2)
        #expect(seed.status == 0)
        let (server, port, _) = try ServeProcessTests.serve(binary, data: data)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let script = Self.root.appendingPathComponent("Tests/Support/real_clients.py").path
        let result = try ServeProcessTests.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "http://127.0.0.1:\(port)/graphql", binary.path])
        #expect(result.status == 0, "\(result.output)")
        for check in [
            "PASS gql fetches and builds the schema", "PASS gql runs a nested query", "PASS gql passes variables",
            "PASS gql reports a server error", "PASS gql validates against the fetched schema",
            "PASS build_client_schema on 32 introspection variants equals ame schema",
            "PASS APQ: an unknown hash is PERSISTED_QUERY_NOT_FOUND",
            "PASS APQ: the retry with the query registers and runs it", "PASS APQ: GET with the hash alone runs it",
            "PASS APQ: a hash that is not the query's is refused", "PASS GET with a form-encoded query string",
        ] {
            #expect(result.output.contains(check), "missing: \(check)\n\(result.output)")
        }
    }

    @Test func theAllowListServesOnlyTheOperationsOfTheManifestTheBuildWrote() async throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let folder = ServeProcessTests.dataFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let operations = folder.appendingPathComponent("operations")
        try FileManager.default.createDirectory(at: operations, withIntermediateDirectories: true)
        let ping = "query Ping { ping }\n"
        try ping.write(to: operations.appendingPathComponent("ping.graphql"), atomically: true, encoding: .utf8)
        try "query Count { contactProfileList { total } }\n".write(
            to: operations.appendingPathComponent("count.graphql"), atomically: true, encoding: .utf8)
        let manifest = folder.appendingPathComponent("manifest.json")
        let written = try ServeProcessTests.run(
            binary, ["operations", "manifest", operations.path, "--output", manifest.path])
        #expect(written.status == 0, "\(written.output)")
        #expect(written.output.contains("2 operations"))

        // An operation that does not validate stops the build step, naming the file and place.
        let broken = folder.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "{\n  nope\n}\n".write(to: broken.appendingPathComponent("bad.graphql"), atomically: true, encoding: .utf8)
        let refused = try ServeProcessTests.run(binary, ["operations", "manifest", broken.path])
        #expect(refused.status != 0)
        #expect(refused.output.contains("bad.graphql:2:3"))

        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--data-dir", folder.appendingPathComponent("data").path, "--port", "0"]
        var environment = ProcessCoverage.environment()
        environment["AME_PERSISTED_QUERIES"] = "allow-list"
        environment["AME_PERSISTED_QUERIES_FILE"] = manifest.path
        server.environment = environment
        let output = Pipe()
        server.standardOutput = output
        server.standardError = Pipe()
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let port = try #require(ServeProcessTests.waitForPort(output.fileHandleForReading))

        func post(_ body: JSONValue) async throws -> JSONValue {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphql")!)
            request.httpMethod = "POST"
            request.setValue("acme", forHTTPHeaderField: "X-Endpoint-Id")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.jsonText.utf8)
            let (data, _) = try await URLSession.shared.data(for: request)
            return try JSONValue.parse(bytes: Array(data))
        }
        let hash = try JSONValue.parse(String(contentsOf: manifest, encoding: .utf8))["operations"]?.arrayValue
            .first { $0["body"] == .string(ping) }?["id"]
        let byHash = try await post([
            "extensions": ["persistedQuery": ["version": 1, "sha256Hash": try #require(hash)]]
        ])
        #expect(byHash["data"]?["ping"] == "pong", "\(byHash.jsonText)")
        let byText = try await post(["query": .string(ping)])
        #expect(byText["data"]?["ping"] == "pong")
        let other = try await post(["query": "{ ping }"])
        #expect(other["errors"]?.arrayValue.first?["extensions"]?["code"] == "OPERATION_NOT_ALLOWED")
    }
}
