import AMEGenerated
import AMERuntime
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import AMEServer

/// The GraphQL-over-HTTP draft, point by point (docs/CLIENT_GUIDE.md lists each MUST and SHOULD
/// with the test below that covers it): decoding, `Accept`, status codes, methods, media types, CORS.
@Suite struct GraphQLOverHTTPSpecTests {
    let engine: GraphQLEngine

    init() async throws {
        engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        _ = try await SampleData(corporations: 1, places: 2, contacts: 3, requests: 1)
            .load(into: engine, tenant: Tenant(endpointId: "acme"))
    }

    func application(cors: CORSPolicy? = nil) -> some ApplicationProtocol {
        Application(
            router: AMEHTTPServer.router(engine: engine, tenants: TenantResolver(), cors: cors),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    static let endpoint = HTTPField.Name("X-Endpoint-Id")!

    static func headers(accept: String? = nil, contentType: String? = "application/json") -> HTTPFields {
        var fields: HTTPFields = [endpoint: "acme"]
        if let accept { fields[.accept] = accept }
        if let contentType { fields[.contentType] = contentType }
        return fields
    }

    static func body(_ query: String, variables: JSONValue? = nil) -> ByteBuffer {
        var object: JSONObject = ["query": .string(query)]
        if let variables { object["variables"] = variables }
        return ByteBuffer(string: JSONValue.object(object).jsonText)
    }

    static func json(_ response: TestResponse) throws -> JSONValue {
        try JSONValue.parse(String(buffer: response.body))
    }

    // MARK: GET

    @Test func getDecodesFormEncodingPlusAndPercentTwentyVariablesAndOperationName() async throws {
        try await application().test(.router) { client in
            // `+` for spaces, as HTML forms and Python's requests send it.
            let plus = "query=query(%24n%3A+Int)+%7B+contactProfileList(limit%3A+%24n)+%7B+total+pageSize+%7D+%7D"
            try await client.execute(
                uri: "/graphql?\(plus)&variables=%7B%22n%22%3A+2%7D", method: .get, headers: Self.headers()
            ) { response in
                #expect(response.status == .ok)
                let json = try Self.json(response)
                #expect(json["data"]?["contactProfileList"]?["total"] == 3)
                #expect(json["data"]?["contactProfileList"]?["pageSize"] == 2)
            }
            let percent = "query=query%20Named%20%7B%20ping%20%7D%20query%20Other%20%7B%20__typename%20%7D"
            try await client.execute(
                uri: "/graphql?\(percent)&operationName=Other", method: .get, headers: Self.headers()
            ) { response in
                #expect(response.status == .ok)
                #expect((try? Self.json(response))?["data"]?["__typename"] == "Query")
            }
            // An empty operationName is the same as none.
            try await client.execute(
                uri: "/graphql?query=%7Bping%7D&operationName=", method: .get, headers: Self.headers()
            ) { response in
                #expect((try? Self.json(response))?["data"]?["ping"] == "pong")
            }
            try await client.execute(
                uri: "/graphql?query=%7Bping%7D&variables=%5B7%5D", method: .get, headers: Self.headers()
            ) { response in
                #expect(response.status == .badRequest)
                #expect((try? Self.json(response))?["errors"]?[0]?["extensions"]?["field"] == "variables")
            }
            try await client.execute(
                uri: "/graphql?query=%7Bping%7D&extensions=nope", method: .get, headers: Self.headers()
            ) { response in
                #expect(response.status == .badRequest)
                #expect((try? Self.json(response))?["errors"]?[0]?["extensions"]?["field"] == "extensions")
            }
        }
    }

    @Test func formDecodingFollowsURLSearchParams() {
        let parameters = GraphQLOverHTTP.formParameters("a=1+2%20%33&b=%zz&b=second&c&=x&d=%E2%9C%93")
        #expect(parameters["a"] == "1 2 3")
        #expect(parameters["b"] == "%zz")
        #expect(parameters["c"] == "")
        #expect(parameters["d"] == "✓")
    }

    // MARK: Accept and status codes

    @Test func acceptChoosesTheMediaTypeAndTheStatusCodesFollowIt() async throws {
        let cases: [(accept: String?, type: String?, invalidStatus: HTTPResponse.Status)] = [
            (
                "application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json",
                .badRequest
            ),
            ("application/json", "application/json", .ok),
            (
                "application/json;q=0.5, application/graphql-response+json", "application/graphql-response+json",
                .badRequest
            ),
            ("application/json, application/graphql-response+json", "application/json", .ok),
            (nil, "application/graphql-response+json", .badRequest),
            ("*/*", "application/graphql-response+json", .badRequest),
            ("application/graphql-response+json; charset=utf-8", "application/graphql-response+json", .badRequest),
            ("text/html", nil, .notAcceptable),
            ("application/graphql-response+json;q=0, application/json;charset=latin1", nil, .notAcceptable),
        ]
        try await application().test(.router) { client in
            for (accept, type, invalidStatus) in cases {
                try await client.execute(
                    uri: "/graphql", method: .post, headers: Self.headers(accept: accept), body: Self.body("{ ping }")
                ) { response in
                    if let type {
                        #expect(response.status == .ok, "\(accept ?? "none")")
                        #expect(response.headers[.contentType] == "\(type); charset=utf-8", "\(accept ?? "none")")
                        #expect((try? Self.json(response))?["data"]?["ping"] == "pong")
                    } else {
                        #expect(response.status == .notAcceptable, "\(accept ?? "none")")
                        #expect((try? Self.json(response))?["errors"]?[0]?["extensions"]?["code"] == "NOT_ACCEPTABLE")
                    }
                }
                // A validation error: 400 with application/graphql-response+json, 200 with application/json.
                try await client.execute(
                    uri: "/graphql", method: .post, headers: Self.headers(accept: accept), body: Self.body("{ nope }")
                ) { response in
                    #expect(response.status == invalidStatus, "\(accept ?? "none")")
                    if type != nil {
                        let json = try Self.json(response)
                        #expect(json["errors"]?[0]?["extensions"]?["code"] == "GRAPHQL_VALIDATION_FAILED")
                        #expect(json["data"] == nil)
                    }
                }
            }
        }
    }

    @Test func requestErrorsAre200ToJSONClientsButMalformedRequestsAre400() async throws {
        let json = "application/json"
        try await application().test(.router) { client in
            // Parse failure, unknown operation, bad variables: well-formed requests that did not run.
            for (query, variables) in [("{", nil), ("query A { ping }", nil), ("query($n: Int!) { ping }", nil)]
                as [(String, JSONValue?)]
            {
                var object: JSONObject = ["query": .string(query), "variables": variables ?? .null]
                if query.hasPrefix("query A") { object["operationName"] = "B" }
                for (accept, status) in [
                    (json, HTTPResponse.Status.ok), ("application/graphql-response+json", .badRequest),
                ] {
                    try await client.execute(
                        uri: "/graphql", method: .post, headers: Self.headers(accept: accept),
                        body: ByteBuffer(string: JSONValue.object(object).jsonText)
                    ) { response in
                        #expect(response.status == status, "\(query) \(accept)")
                        #expect((try? Self.json(response))?["errors"]?.arrayValue.isEmpty == false)
                    }
                }
            }
            // Not a GraphQL-over-HTTP request at all: 400 whatever the client accepts.
            for body in [
                "NONSENSE", "{\"query\":", "{\"qeury\": \"{ ping }\"}", "{\"query\": \"{ ping }\", \"variables\": [7]}",
            ] {
                try await client.execute(
                    uri: "/graphql", method: .post, headers: Self.headers(accept: json), body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == .badRequest, "\(body)")
                }
            }
            // A field error is a 200, for both types, even when it nulls the whole `data` (a get
            // of a missing key is non-null, as in the original).
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers(accept: "application/graphql-response+json"),
                body: Self.body("{ contactProfile(contactUuid: \"missing\") { email } ping }")
            ) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response)
                #expect(body["data"] == .null)
                #expect(body["errors"]?[0]?["path"] == ["contactProfile"])
                #expect(body["errors"]?[0]?["extensions"]?["code"] == "ENTITY_NOT_FOUND")
            }
        }
    }

    // MARK: Methods and media types

    @Test func otherMethodsAre405WithAllow() async throws {
        try await application().test(.router) { client in
            for method in [HTTPRequest.Method.put, .delete, .patch, .options] {
                try await client.execute(
                    uri: "/graphql", method: method, headers: Self.headers(), body: Self.body("{ ping }")
                ) { response in
                    #expect(response.status == .methodNotAllowed, "\(method)")
                    #expect(response.headers[.allow] == "GET, POST")
                    #expect((try? Self.json(response))?["errors"]?[0]?["extensions"]?["code"] == "METHOD_NOT_ALLOWED")
                }
            }
        }
    }

    @Test func aPostThatIsNotJSONRunsNothingAnd415s() async throws {
        let mutation =
            "mutation { insertUpdateCorporationProfile(externalId: \"x\", corporationType: \"t\", businessName: \"Injected\") { corporationProfile { corporationUuid } } }"
        try await application().test(.router) { client in
            // text/plain is what a page on any origin may POST without a preflight.
            for contentType in [
                "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data",
                "application/json; charset=latin1", nil,
            ] as [String?] {
                try await client.execute(
                    uri: "/graphql", method: .post, headers: Self.headers(contentType: contentType),
                    body: Self.body(mutation)
                ) { response in
                    let body = try Self.json(response)
                    #expect(response.status == .unsupportedMediaType, "\(String(describing: contentType))")
                    #expect(body["errors"]?[0]?["extensions"]?["code"] == "UNSUPPORTED_MEDIA_TYPE")
                }
            }
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers(),
                body: Self.body("{ corporationProfileList { total } }")
            ) { response in
                #expect((try? Self.json(response))?["data"]?["corporationProfileList"]?["total"] == 1)
            }
            try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers(contentType: "application/json; charset=UTF-8"),
                body: Self.body("{ ping }")
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }

    // MARK: CORS

    @Test func corsAnswersPreflightsAndMarksResponsesForConfiguredOriginsOnly() async throws {
        let policy = CORSPolicy(allowedOrigins: ["https://app.example.com"], allowsCredentials: true, maxAge: 120)
        try await application(cors: policy).test(.router) { client in
            let preflight: HTTPFields = [
                .origin: "https://app.example.com", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "content-type, authorization",
            ]
            try await client.execute(uri: "/graphql", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
                #expect(response.headers[.accessControlAllowMethods] == "GET, POST")
                #expect(response.headers[.accessControlAllowHeaders] == "content-type, authorization")
                #expect(response.headers[.accessControlAllowCredentials] == "true")
                #expect(response.headers[.accessControlMaxAge] == "120")
            }
            var request = Self.headers()
            request[.origin] = "https://app.example.com"
            try await client.execute(uri: "/graphql", method: .post, headers: request, body: Self.body("{ ping }")) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
                #expect(response.headers[.accessControlExposeHeaders] == "X-Request-Id")
                #expect(response.headers[.accessControlAllowCredentials] == "true")
                #expect(response.headers[.vary] == "Origin")
                #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil)
            }
            // Another origin (a look-alike included) gets no CORS headers: the browser refuses.
            for origin in ["https://evil.example", "https://app.example.com.evil.example", "https://APP.example.com"] {
                var other = preflight
                other[.origin] = origin
                try await client.execute(uri: "/graphql", method: .options, headers: other) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.accessControlAllowOrigin] == nil)
                }
                var post = Self.headers()
                post[.origin] = origin
                try await client.execute(uri: "/graphql", method: .post, headers: post, body: Self.body("{ ping }")) {
                    response in
                    #expect(response.headers[.accessControlAllowOrigin] == nil)
                }
            }
        }
    }

    @Test func corsIsOffByDefault() async throws {
        try await application().test(.router) { client in
            try await client.execute(
                uri: "/graphql", method: .options,
                headers: [.origin: "https://app.example.com", .accessControlRequestMethod: "POST"]
            ) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func corsSettingsAreChecked() throws {
        #expect(try CORSPolicy(settings: [:]) == nil)
        #expect(
            try CORSPolicy(settings: ["AME_CORS_ORIGINS": "https://a.example, http://localhost:3000"])?.allowedOrigins
                == ["https://a.example", "http://localhost:3000"])
        #expect(throws: CORSPolicyError.self) {
            try CORSPolicy(settings: ["AME_CORS_ORIGINS": "*", "AME_CORS_ALLOW_CREDENTIALS": "true"])
        }
        #expect(throws: CORSPolicyError.self) {
            try CORSPolicy(settings: ["AME_CORS_ORIGINS": "https://a.example/path"])
        }
        #expect(Settings.problems(["AME_CORS_ORIGINS": "app.example.com"]).count == 1)
    }
}
