import AMERuntime
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Requests an attacker would send, each to a real `ame serve` over a socket: every one gets its
/// error, and the process still serves `/health` afterwards.
@Suite(.serialized) struct HostileInputTests {
    static func post(_ port: Int, body: Data) async throws -> (status: Int, json: JSONValue?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphql")!)
        request.httpMethod = "POST"
        request.setValue("acme", forHTTPHeaderField: "X-Endpoint-Id")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONValue.parse(bytes: Array(data)))
    }

    static func query(_ text: String) -> Data { Data((["query": .string(text)] as JSONValue).jsonText.utf8) }

    static func healthy(_ port: Int) async throws -> Bool {
        let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    @Test func eachHostileRequestGetsItsErrorAndTheServerKeepsServing() async throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let data = ServeProcessTests.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        #expect(
            try ServeProcessTests.seed(binary, data, corporations: 1, places: 2, contacts: 5, requests: 0).status == 0)
        let (server, port, _) = try ServeProcessTests.serve(binary, data: data)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let deep = String(repeating: "{ a ", count: 1000) + String(repeating: "}", count: 1000)
        let list = String(repeating: "[", count: 3000) + "\"a\"" + String(repeating: "]", count: 3000)
        let aliases = (0..<100).map { "a\($0): __schema { types { fields { args { type { name } } } } }" }
        let manyKeys =
            "{\"query\":\"{ ping }\",\"variables\":{\"x\":{"
            + (0..<40_000).map { "\"k\($0)\":1" }
            .joined(separator: ",") + "}}}"
        let cases: [(String, Data, Int, String)] = [
            (
                "Int literal past 64 bits",
                Self.query("{ contactProfileList(pageNumber: 9223372036854775807, limit: 5) { total } }"), 400,
                "BAD_USER_INPUT"
            ),
            (
                "Int literal past 32 bits", Self.query("{ contactProfileList(limit: -2147483649) { total } }"), 400,
                "BAD_USER_INPUT"
            ),
            ("1,000 deep on a scalar", Self.query("{ ping \(deep) }"), 400, "QUERY_TOO_NESTED"),
            (
                "deep in an unselected operation", Self.query("query A { ping } query B { ping \(deep) }"), 400,
                "QUERY_TOO_NESTED"
            ),
            (
                "a list literal 3,000 deep", Self.query("{ contactProfileList(email: \(list)) { total } }"), 400,
                "QUERY_TOO_NESTED"
            ),
            (
                "a list literal 100 deep",
                Self.query(
                    "{ contactProfileList(email: \(String(repeating: "[", count: 100))\"a\"\(String(repeating: "]", count: 100))) { total } }"
                ), 400, "QUERY_TOO_NESTED"
            ),
            (
                "100 aliases of a deep __schema", Self.query("{ \(aliases.joined(separator: " ")) }"), 400,
                "QUERY_TOO_COMPLEX"
            ),
            ("40,000 keys in the variables", Data(manyKeys.utf8), 400, "JSON_TOO_MANY_KEYS"),
            ("invalid UTF-8", Data([0x7B, 0x22, 0x71, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]), 400, "BAD_USER_INPUT"),
        ]
        for (name, body, status, code) in cases {
            let answer = try await Self.post(port, body: body)
            #expect(answer.status == status, "\(name)")
            #expect(answer.json?["errors"]?[0]?["extensions"]?["code"]?.stringValue == code, "\(name)")
            #expect(answer.json?["extensions"]?["cost"] != nil, "\(name)")
            #expect(try await Self.healthy(port), "after \(name)")
        }
        #expect(server.isRunning)
    }

    @Test func keysAddRefusesIdsThatChangeMeaning() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        for arguments in [
            ["--endpoint-id", "evilcorp#x"], ["--endpoint-id", "evil", "--part-id", "p#acme"],
            ["--endpoint-id", "a\nffff acme"], ["--endpoint-id", "a b"],
        ] {
            let result = try ServeProcessTests.run(binary, ["keys", "add"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.output.contains("may only contain"), "\(result.output)")
        }
    }
}
