import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// GraphQL over HTTP: routes, status codes and tenancy, in process and over a real socket.
@Suite struct GraphQLOverHTTPTests {
    let engine: GraphQLEngine

    init() async throws {
        engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        _ = try await SampleData(corporations: 1, places: 2, contacts: 3, requests: 1)
            .load(into: engine, tenant: Tenant(endpointId: "acme"))
    }

    func application() -> some ApplicationProtocol {
        Application(
            router: AMEHTTPServer.router(engine: engine, tenants: TenantResolver()),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    static func body(_ query: String) -> ByteBuffer {
        ByteBuffer(string: (["query": .string(query)] as JSONValue).jsonText)
    }

    static let tenantHeaders: HTTPFields = [HTTPField.Name("X-Endpoint-Id")!: "acme", .contentType: "application/json"]

    @Test func postExecutesAQueryForTheHeaderTenant() async throws {
        try await application().test(.router) { client in
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.tenantHeaders,
                body: Self.body("{ contactProfileList { contactProfileList { email } total } }")
            ) { response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(String(buffer: response.body))
                #expect(json["data"]?["contactProfileList"]?["total"] == 3)
                #expect(json["extensions"]?["cost"]?["storeCalls"] == 2)
            }
        }
    }

    @Test func aRateLimitedRequestIs429WithRetryAfterInEitherMediaType() async throws {
        let limited = try await RateLimitedEngine()
        let (engine, limiter) = (limited.engine, limited.limiter)
        // About 4 units of debt at 0.01 a second: refused for some 400 seconds.
        await limiter.charge(Tenant(endpointId: "acme"), units: CapacityUnits(write: 4))
        let application = Application(
            router: AMEHTTPServer.router(engine: engine, tenants: TenantResolver()),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.router) { client in
            for accept in ["application/graphql-response+json", "application/json"] {
                var headers = Self.tenantHeaders
                headers[.accept] = accept
                try await client.execute(uri: "/graphql", method: .post, headers: headers, body: Self.body("{ ping }"))
                {
                    response in
                    #expect(response.status == .tooManyRequests, "\(accept)")
                    let json = try JSONValue.parse(String(buffer: response.body))
                    let error = json["errors"]?.arrayValue.first
                    #expect(error?["extensions"]?["code"] == "RATE_LIMITED")
                    #expect(error?["extensions"]?["units"] == ["write"])
                    let seconds = try #require(error?["extensions"]?["retryAfterSeconds"]?.intValue)
                    #expect((300...401).contains(seconds), "\(seconds)")
                    #expect(response.headers[.retryAfter] == String(seconds))
                    #expect(json["data"] == nil)
                }
            }
        }
    }

    @Test func aRequestWithoutATenantIsUnauthenticated() async throws {
        try await application().test(.router) { client in
            try await client.execute(
                uri: "/graphql", method: .post, headers: [.contentType: "application/json"], body: Self.body("{ ping }")
            ) { response in
                #expect(response.status == .unauthorized)
                let json = try JSONValue.parse(String(buffer: response.body))
                #expect(json["errors"]?.arrayValue.first?["extensions"]?["code"] == "UNAUTHENTICATED")
            }
        }
    }

    @Test func getAcceptsQueriesButNotMutations() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/graphql?query=%7Bping%7D", method: .get, headers: Self.tenantHeaders) {
                response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(String(buffer: response.body))
                #expect(json["data"]?["ping"] == "pong")
            }
            try await client.execute(
                uri: "/graphql?query=mutation%7BdeletePlace(placeUuid:%22x%22)%7Bok%7D%7D", method: .get,
                headers: Self.tenantHeaders
            ) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test func malformedBodiesAndInvalidQueriesAreBadRequests() async throws {
        try await application().test(.router) { client in
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.tenantHeaders, body: ByteBuffer(string: "{not json")
            ) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.tenantHeaders, body: Self.body("{ nope }")
            ) { response in
                #expect(response.status == .badRequest)
                let json = try JSONValue.parse(String(buffer: response.body))
                #expect(json["errors"]?.arrayValue.first?["extensions"]?["code"] == "GRAPHQL_VALIDATION_FAILED")
            }
        }
    }

    @Test func healthReadinessAndTheBrowserPage() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/graphql", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("GraphiQL"))
            }
        }
    }

    @Test func theServerAnswersOverARealSocket() async throws {
        try await application().test(.live) { client in
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.tenantHeaders,
                body: Self.body("{ placeList { placeList { businessName corporationProfile { businessName } } } }")
            ) { response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(String(buffer: response.body))
                let places = json["data"]?["placeList"]?["placeList"]
                #expect(places?[0]?["corporationProfile"]?["businessName"] == "Corporation 0")
            }
        }
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        let elements = arrayValue
        return elements.indices.contains(index) ? elements[index] : nil
    }
}

extension GraphQLOverHTTPTests {
    @Test func aMutationSentWithGetIsRefusedAndChangesNothing() async throws {
        let query = "query Read { ping } mutation Write { deletePlace(placeUuid: \"x\") { ok } }"
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await application().test(.router) { client in
            try await client.execute(
                uri: "/graphql?query=\(encoded)&operationName=Write", method: .get, headers: Self.tenantHeaders
            ) { response in
                #expect(response.status == .methodNotAllowed)
            }
            try await client.execute(
                uri: "/graphql?query=\(encoded)&operationName=Read", method: .get, headers: Self.tenantHeaders
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
