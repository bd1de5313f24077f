import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// What an operator relies on: request ids, one JSON log line per request, limits with their
/// errors.
@Suite struct OperationsTests {
    let engine: GraphQLEngine

    init() async throws {
        engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        _ = try await SampleData(corporations: 1, places: 2, contacts: 30, requests: 0)
            .load(into: engine, tenant: Tenant(endpointId: "acme"))
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    func application(limits: ServerLimits = ServerLimits(), lines: Lines = Lines()) -> some ApplicationProtocol {
        let logger = Logger(label: "ame.http") { label in
            JSONLogHandler(label: label) { line in lines.lines.withLock { $0.append(line) } }
        }
        return Application(
            router: AMEHTTPServer.router(engine: engine, tenants: TenantResolver(), limits: limits, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    static let headers: HTTPFields = [HTTPField.Name("X-Endpoint-Id")!: "acme", .contentType: "application/json"]
    static let requestId = HTTPField.Name("X-Request-Id")!

    static func body(_ query: String, operationName: String? = nil) -> ByteBuffer {
        var object: JSONObject = ["query": .string(query)]
        if let operationName { object["operationName"] = .string(operationName) }
        return ByteBuffer(string: JSONValue.object(object).jsonText)
    }

    @Test func aSaneRequestIdIsKeptAndOtherwiseOneIsMade() async throws {
        try await application().test(.router) { client in
            var headers = Self.headers
            headers[Self.requestId] = "trace-42"
            try await client.execute(uri: "/graphql", method: .post, headers: headers, body: Self.body("{ ping }")) {
                #expect($0.headers[Self.requestId] == "trace-42")
            }
            headers[Self.requestId] = String(repeating: "x", count: 500)
            for headers in [Self.headers, headers] {
                try await client.execute(uri: "/graphql", method: .post, headers: headers, body: Self.body("{ ping }"))
                {
                    let made = try #require($0.headers[Self.requestId])
                    #expect(UUID(uuidString: made) != nil)
                }
            }
        }
    }

    @Test func eachRequestLogsOneJSONLineWithItsIdTenantOperationDurationAndStoreCalls() async throws {
        let lines = Lines()
        try await application(lines: lines).test(.router) { client in
            var headers = Self.headers
            headers[Self.requestId] = "log-me"
            try await client.execute(
                uri: "/graphql", method: .post, headers: headers,
                body: Self.body(
                    "query Contacts { contactProfileList(limit: 5) { contactProfileList { email place { businessName } } } }"
                )
            ) { #expect($0.status == .ok) }
        }
        let logged = try #require(
            lines.all.compactMap { try? JSONValue.parse($0) }.first { $0["request_id"] == "log-me" })
        #expect(logged["message"] == "graphql request")
        #expect(logged["level"] == "info")
        #expect(logged["tenant"] == "acme#default")
        #expect(logged["operation"] == "Contacts")
        #expect(logged["store_calls"] == 2)
        #expect(logged["status"] == 200)
        // A number of milliseconds; a whole one is written without a fraction.
        #expect((logged["duration_ms"]?.doubleValue ?? -1) > 0)
    }

    @Test func aStoreFailureIsLoggedWithItsCauseAndAnsweredWithItsCodeOnly() async throws {
        // A store whose tables were never created: every read fails inside the store.
        let broken = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        let lines = Lines()
        let logger = Logger(label: "ame.http") { label in
            JSONLogHandler(label: label) { line in lines.lines.withLock { $0.append(line) } }
        }
        let app = Application(
            router: AMEHTTPServer.router(engine: broken, tenants: TenantResolver(), logger: logger),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router) { client in
            var headers = Self.headers
            headers[Self.requestId] = "fail-me"
            try await client.execute(
                uri: "/graphql", method: .post, headers: headers,
                body: Self.body("{ contactProfileList(limit: 5) { contactProfileList { email } } }")
            ) { response in
                let text = String(buffer: response.body)
                let json = try JSONValue.parse(text)
                #expect(json["errors"]?[0]?["extensions"]?["code"] == "STORE_UNAVAILABLE")
                #expect(json["errors"]?[0]?["path"] == ["contactProfileList"])
                // The cause is the operator's: it names a table, which the client is not told.
                #expect(!text.contains("does not exist"), "\(text)")
            }
        }
        let failure = try #require(
            lines.all.compactMap { try? JSONValue.parse($0) }.first {
                $0["request_id"] == "fail-me" && $0["message"] == "graphql request failed"
            })
        #expect(failure["level"] == "error")
        #expect(failure["errors"] == ["STORE_UNAVAILABLE"])
        let causes = failure["causes"]?.arrayValue.compactMap(\.stringValue) ?? []
        #expect(causes.count == 1)
        #expect(causes.first?.contains("table `ame-contact_profiles` does not exist") == true, "\(causes)")
    }

    @Test func operationNamesInMetricsLabelsAreBounded() {
        let labels = AMEHTTPServer.OperationLabels(capacity: 2)
        #expect(labels.label(for: "First") == "First")
        #expect(labels.label(for: "Second") == "Second")
        #expect(labels.label(for: "Third") == "other")
        #expect(labels.label(for: "First") == "First")
        let long = String(repeating: "x", count: 65)
        #expect(AMEHTTPServer.OperationLabels(capacity: 10).label(for: long) == "other")
    }

    @Test func anOversizedBodyOrQueryIsRefusedWithItsLimitNamed() async throws {
        let limits = ServerLimits(maxBodyBytes: 2048, maxQueryLength: 200)
        try await application(limits: limits).test(.router) { client in
            let long = "{ ping " + String(repeating: "__typename ", count: 30) + "}"
            try await client.execute(uri: "/graphql", method: .post, headers: Self.headers, body: Self.body(long)) {
                #expect($0.status == .contentTooLarge)
                let error = try JSONValue.parse(String(buffer: $0.body))["errors"]?.arrayValue.first
                #expect(error?["extensions"]?["code"] == "QUERY_TOO_LONG")
                #expect(error?["message"]?.stringValue?.contains("AME_MAX_QUERY_LENGTH") == true)
            }
            let huge = ByteBuffer(
                string: "{\"query\": \"{ ping }\", \"x\": \"" + String(repeating: "y", count: 4096) + "\"}")
            try await client.execute(uri: "/graphql", method: .post, headers: Self.headers, body: huge) {
                #expect($0.status == .contentTooLarge)
                #expect(String(buffer: $0.body).contains("AME_MAX_BODY_BYTES"))
            }
            try await client.execute(uri: "/graphql", method: .post, headers: Self.headers, body: Self.body("{ ping }"))
            {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func aRequestPastItsTimeoutIsAnsweredWithATimeoutError() async throws {
        try await application(limits: ServerLimits(requestTimeout: .zero)).test(.router) { client in
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers,
                body: Self.body(
                    "{ contactProfileList { contactProfileList { email data place { corporationProfile { data } } } } }"
                )
            ) {
                #expect($0.status == .gatewayTimeout)
                let error = try JSONValue.parse(String(buffer: $0.body))["errors"]?.arrayValue.first
                #expect(error?["extensions"]?["code"] == "REQUEST_TIMEOUT")
            }
        }
    }
}
