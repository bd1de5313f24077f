import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// How a `POST /graphql` body is taken: within its bounds, after the credential, and every
/// refusal with its code and `extensions.cost`.
@Suite struct RequestBodyTests {
    let engine: GraphQLEngine

    init() async throws {
        engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
    }

    func application(
        limits: ServerLimits = ServerLimits(), tenants: TenantResolver = TenantResolver()
    )
        -> some ApplicationProtocol
    {
        Application(
            router: AMEHTTPServer.router(engine: engine, tenants: tenants, limits: limits),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    static let headers: HTTPFields = [HTTPField.Name("X-Endpoint-Id")!: "acme", .contentType: "application/json"]

    static func answer(_ response: TestResponse) throws -> (code: String?, cost: JSONValue?) {
        let json = try JSONValue.parse(String(buffer: response.body))
        return (json["errors"]?.arrayValue.first?["extensions"]?["code"]?.stringValue, json["extensions"]?["cost"])
    }

    @Test func aBodyWithoutACredentialIsRefusedBeforeItIsParsed() async throws {
        let tenants = await TenantResolver(apiKeys: [:], jwtSecret: String(repeating: "s", count: 32))
        try await application(tenants: tenants).test(.router) { client in
            // Not JSON at all: a 401, not a 400, shows the body was never parsed.
            let body = ByteBuffer(string: "{" + String(repeating: "\"k\":1,", count: 1000))
            try await client.execute(
                uri: "/graphql", method: .post, headers: [.contentType: "application/json"], body: body
            ) {
                #expect($0.status == .unauthorized)
                let (code, cost) = try Self.answer($0)
                #expect(code == "UNAUTHENTICATED")
                #expect(cost?["storeCalls"] == 0)
            }
        }
    }

    @Test func eachJSONBoundIsRefusedWithItsCodeAndCost() async throws {
        let limits = ServerLimits(json: JSONLimits(maxDepth: 10, maxKeys: 20, maxStringBytes: 100))
        try await application(limits: limits).test(.router) { client in
            let cases: [(String, String)] = [
                (
                    #"{"query":"{ ping }","variables":{"x":"# + String(repeating: "[", count: 20)
                        + String(repeating: "]", count: 20) + "}}", "JSON_TOO_DEEP"
                ),
                (
                    #"{"query":"{ ping }","variables":{"x":{"# + (0..<30).map { "\"k\($0)\":1" }.joined(separator: ",")
                        + "}}}", "JSON_TOO_MANY_KEYS"
                ),
                (
                    #"{"query":"{ ping }","variables":{"x":""# + String(repeating: "y", count: 200) + "\"}}",
                    "STRING_TOO_LONG"
                ),
            ]
            for (body, expected) in cases {
                try await client.execute(
                    uri: "/graphql", method: .post, headers: Self.headers, body: ByteBuffer(string: body)
                ) {
                    #expect($0.status == .badRequest)
                    let (code, cost) = try Self.answer($0)
                    #expect(code == expected)
                    #expect(cost?["maxComplexity"] == .int(QueryLimits().maxComplexity))
                }
            }
        }
    }

    @Test func invalidUTF8IsA400WithAClearMessage() async throws {
        try await application().test(.router) { client in
            var body = ByteBuffer(string: #"{"query":"{ contactProfileList(email: \""#)
            body.writeBytes([0xFF, 0xFE])
            body.writeString(#"\") { total } }"}"#)
            try await client.execute(uri: "/graphql", method: .post, headers: Self.headers, body: body) {
                #expect($0.status == .badRequest)
                #expect(String(buffer: $0.body).contains("not valid UTF-8"))
                let (_, cost) = try Self.answer($0)
                #expect(cost != nil)
            }
        }
    }

    @Test func oversizedAndTimedOutAnswersCarryTheirCost() async throws {
        try await application(limits: ServerLimits(maxBodyBytes: 1024)).test(.router) { client in
            let body = ByteBuffer(string: #"{"query":"{ ping }","x":""# + String(repeating: "y", count: 2000) + "\"}")
            try await client.execute(uri: "/graphql", method: .post, headers: Self.headers, body: body) {
                #expect($0.status == .contentTooLarge)
                let (code, cost) = try Self.answer($0)
                #expect(code == "BODY_TOO_LARGE")
                #expect(cost?["storeCalls"] == 0)
            }
        }
        try await application(limits: ServerLimits(requestTimeout: .zero)).test(.router) { client in
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers,
                body: ByteBuffer(string: #"{"query":"{ contactProfileList { total } }"}"#)
            ) {
                #expect($0.status == .gatewayTimeout)
                let (code, cost) = try Self.answer($0)
                #expect(code == "REQUEST_TIMEOUT")
                #expect(cost != nil)
            }
        }
    }
}
