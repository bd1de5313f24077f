import AMEGenerated
import AMERuntime
import Foundation
import HTTPTypes
import Testing

@testable import AMEServer

/// The Lambda host in process, over the embedded store: how each event's parts (stage, query,
/// headers, body encoding) reach the server's router, and how its answer comes back.
@Suite struct LambdaEventTests {
    let handler: AMELambda.Handler
    static let key = "ame_lambda_event_tests"

    init() async throws {
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        _ = try await SampleData(corporations: 1, places: 2, contacts: 3, requests: 0)
            .load(into: engine, tenant: Tenant(endpointId: "acme"))
        let tenants = await TenantResolver(
            apiKeys: [TenantResolver.hash(Self.key): Tenant(endpointId: "acme")], jwtSecret: nil)
        handler = AMELambda.Handler(
            engine: engine, tenants: tenants, limits: ServerLimits(), metrics: nil,
            options: AMELambda.Options(trustedClaims: try AMELambda.TrustedClaims(setting: "tenant")))
    }

    /// Invokes the handler with `milliseconds` left before the invocation's deadline: by default
    /// far more than any request needs, even on a loaded machine, so that only the deadline test meets it.
    func invoke(_ event: JSONValue, id: String = "req-1", milliseconds: Int64 = 300_000) async throws -> JSONValue {
        let invocation = LambdaInvocation(
            requestId: id, deadlineMilliseconds: LambdaInvocation.nowMilliseconds() + milliseconds,
            invokedFunctionArn: nil, traceId: nil, clientContext: nil, cognitoIdentity: nil,
            event: Array(event.jsonText.utf8))
        let payload = try await handler.handle(invocation).get()
        return try JSONValue.parse(bytes: payload)
    }

    static let list = "query L($n: Int) { contactProfileList(limit: $n) { contactProfileList { email } } }"

    @Test func aRESTAPIEventWithAStageAndDecodedQueryParametersReachesTheRoute() async throws {
        let answer = try await invoke([
            "resource": "/{proxy+}", "path": "/prod/graphql", "httpMethod": "GET",
            "multiValueHeaders": ["Authorization": [.string("Bearer \(Self.key)")]],
            "multiValueQueryStringParameters": [
                "query": [.string(Self.list)], "variables": ["{\"n\": 2}"], "operationName": ["L"],
            ],
            "requestContext": ["stage": "prod", "httpMethod": "GET"], "body": nil, "isBase64Encoded": false,
        ])
        #expect(answer["statusCode"] == 200)
        #expect(answer["isBase64Encoded"] == false)
        // No `Accept`: answered as GraphQL over HTTP says, in its own media type.
        #expect(
            answer["multiValueHeaders"]?["Content-Type"] == ["application/graphql-response+json; charset=utf-8"])
        // Without the client's own request id, the invocation's names the request.
        #expect(answer["headers"]?["X-Request-Id"] == "req-1")
        let body = try JSONValue.parse(answer["body"]?.stringValue ?? "")
        #expect(body["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 2)
    }

    @Test func anHTTPAPIEventOnANamedStageWithABase64BodyAndNumericClaims() async throws {
        let request = (["query": .string("{ contactProfileList { contactProfileList { email } } }")] as JSONValue)
        let answer = try await invoke([
            "version": "2.0", "rawPath": "/v1/graphql", "rawQueryString": "",
            "headers": ["content-type": "application/json", "x-request-id": "mine"],
            "requestContext": [
                "http": ["method": "POST", "path": "/v1/graphql"], "stage": "v1",
                "authorizer": ["lambda": ["tenant": 42]],
            ],
            "body": .string(Data(request.jsonText.utf8).base64EncodedString()), "isBase64Encoded": true,
        ])
        #expect(answer["statusCode"] == 200)
        #expect(answer["headers"]?["X-Request-Id"] == "mine")
        // Tenant 42 has no contacts: the claim, not the seeded tenant, chose it.
        let body = try JSONValue.parse(answer["body"]?.stringValue ?? "")
        #expect(body["data"]?["contactProfileList"]?["contactProfileList"] == [])
        #expect(body["errors"] == nil)
    }

    @Test func aRateLimitedRequestIsA429WithRetryAfterInTheEventsShape() async throws {
        let limited = try await RateLimitedEngine()
        let (engine, limiter) = (limited.engine, limited.limiter)
        let handler = AMELambda.Handler(
            engine: engine, tenants: await TenantResolver(apiKeys: [:], jwtSecret: nil), limits: ServerLimits(),
            metrics: nil, options: AMELambda.Options(trustedClaims: try AMELambda.TrustedClaims(setting: "tenant")))
        await limiter.charge(Tenant(endpointId: "acme"), units: CapacityUnits(read: 3))
        let request = (["query": .string("{ contactProfileList { contactProfileList { email } } }")] as JSONValue)
        let invocation = LambdaInvocation(
            requestId: "req-429", deadlineMilliseconds: LambdaInvocation.nowMilliseconds() + 300_000,
            invokedFunctionArn: nil, traceId: nil, clientContext: nil, cognitoIdentity: nil,
            event: Array(
                ([
                    "version": "2.0", "rawPath": "/graphql", "rawQueryString": "",
                    "headers": ["content-type": "application/json"],
                    "requestContext": [
                        "http": ["method": "POST", "path": "/graphql"], "stage": "$default",
                        "authorizer": ["lambda": ["tenant": "acme"]],
                    ],
                    "body": .string(request.jsonText), "isBase64Encoded": false,
                ] as JSONValue).jsonText.utf8))
        let answer = try JSONValue.parse(bytes: try await handler.handle(invocation).get())
        #expect(answer["statusCode"] == 429)
        let body = try JSONValue.parse(answer["body"]?.stringValue ?? "")
        let error = body["errors"]?.arrayValue.first
        #expect(error?["extensions"]?["code"] == "RATE_LIMITED")
        let seconds = try #require(error?["extensions"]?["retryAfterSeconds"]?.intValue)
        #expect(seconds >= 1)
        #expect(answer["headers"]?["Retry-After"] == .string(String(seconds)))
        #expect(body["extensions"]?["cost"]?["storeCalls"] == 0)
    }

    @Test func theConsoleIsTextAndAnUnknownRouteIsTheServersNotFound() async throws {
        func get(_ path: String) async throws -> JSONValue {
            try await invoke([
                "version": "2.0", "rawPath": .string(path), "rawQueryString": "", "headers": [:],
                "requestContext": ["http": ["method": "GET", "path": .string(path)], "stage": "$default"],
                "isBase64Encoded": false,
            ])
        }
        let console = try await get("/graphql")
        #expect(console["statusCode"] == 200)
        #expect(console["isBase64Encoded"] == false)
        #expect(console["body"]?.stringValue?.contains("<html") == true)
        let missing = try await get("/nowhere")
        #expect(missing["statusCode"] == 404)
    }

    @Test func noTimeLeftIsAnsweredWithRequestTimeoutAtOnce() async throws {
        let answer = try await invoke(
            [
                "query": "{ contactProfileList { contactProfileList { email } } }",
                "authorization": .string("Bearer \(Self.key)"),
            ],
            milliseconds: 100)
        #expect(answer["errors"]?.arrayValue.first?["extensions"]?["code"] == "REQUEST_TIMEOUT")
    }

    @Test func aDirectInvocationsFieldsMustBeStrings() async throws {
        let invocation = LambdaInvocation(
            requestId: "r", deadlineMilliseconds: LambdaInvocation.nowMilliseconds() + 10_000,
            invokedFunctionArn: nil, traceId: nil, clientContext: nil, cognitoIdentity: nil,
            event: Array((["query": "{ __typename }", "endpoint_id": 5] as JSONValue).jsonText.utf8))
        guard case .failure(let error) = await handler.handle(invocation) else {
            Issue.record("a numeric endpoint_id was accepted")
            return
        }
        #expect(error.type == "AME.InvalidEvent")
        #expect(error.message.contains("endpoint_id"))
    }

    /// The router's answer is passed on as it is, without being parsed again; only an unexpected
    /// failure (the empty 500 `ame serve` would send) becomes a GraphQL error.
    @Test func aDirectInvocationIsAnsweredWithTheRoutersBodyAndAFailureWithInternal() throws {
        let body = Array(#"{"data":{"ping":"pong"},"extensions":{"cost":{"storeCalls":0}}}"#.utf8)
        #expect(DirectInvocation.payload(CollectedResponse(status: .ok, headers: [:], body: body)) == body)
        let failure = try JSONValue.parse(bytes: DirectInvocation.payload(.unexpectedFailure))
        #expect(failure["errors"]?.arrayValue.first?["extensions"]?["code"] == "INTERNAL")
        #expect(failure["data"] == nil)
    }
}
