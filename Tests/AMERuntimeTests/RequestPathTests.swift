import AMEGenerated
import AMERuntime
import AMEServer
import CoreMetrics
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import NIOCore
import Synchronization
import Testing

/// What a request costs besides its work: metric handles are made once per label set, and the
/// engine says what became of a request without its response being read back.
@Suite struct RequestPathTests {
    /// A metrics backend that counts the handles made through it; what they record goes to
    /// `recorded`.
    final class CountingMetricsFactory: MetricsFactory {
        let recorded = TestMetrics()
        private let made = Mutex(0)

        var handlesMade: Int { made.withLock { $0 } }

        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
            made.withLock { $0 += 1 }
            return recorded.makeCounter(label: label, dimensions: dimensions)
        }

        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            made.withLock { $0 += 1 }
            return recorded.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }

        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
            made.withLock { $0 += 1 }
            return recorded.makeTimer(label: label, dimensions: dimensions)
        }

        func destroyCounter(_ handler: any CounterHandler) { recorded.destroyCounter(handler) }
        func destroyRecorder(_ handler: any RecorderHandler) { recorded.destroyRecorder(handler) }
        func destroyTimer(_ handler: any TimerHandler) { recorded.destroyTimer(handler) }
    }

    @Test func tenRequestsMakeNoMoreMetricHandlesThanOne() async throws {
        let factory = CountingMetricsFactory()
        let metrics = RuntimeMetrics(factory: factory)
        let cache = HybridCache(
            configuration: CacheConfiguration(), registry: AMESchemaRegistry.registry, metrics: metrics)
        cache.start()
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil), cache: cache)
        #expect(engine.metrics === metrics, "the engine records to its cache's handles")
        try await engine.createTables()
        let keys = try await SampleData(corporations: 2, places: 4, contacts: 6, requests: 0).load(
            into: engine, tenant: Tenant(endpointId: "handles"))
        let app = Application(router: AMEHTTPServer.router(engine: engine, tenants: TenantResolver()))
        func queries() -> Int {
            factory.recorded.counters(label: "ame_store_requests_total", dimensions: [("operation", "Query")])
                .reduce(0) { $0 + Int($1.totalValue) }
        }
        func answers(_ status: Int) -> Int {
            factory.recorded.counters(
                label: "ame_http_requests_total", dimensions: [("operation", "anonymous"), ("status", String(status))]
            ).reduce(0) { $0 + Int($1.totalValue) }
        }
        let queriesBefore = queries()
        try await app.test(.router) { client in
            func post(_ query: String) async throws -> HTTPResponse.Status {
                let body = ByteBuffer(string: (["query": .string(query)] as JSONValue).jsonText)
                return try await client.execute(
                    uri: "/graphql", method: .post,
                    headers: [HTTPField.Name("X-Endpoint-Id")!: "handles", .contentType: "application/json"],
                    body: body
                ) { $0.status }
            }
            // Every kind of request: a list with a relation (a Query, cache reads, a BatchGetItem),
            // a get of a missing key (a field error), one that does not parse (a request error).
            func mix() async throws {
                #expect(
                    try await post("{ contactProfileList { contactProfileList { email place { businessName } } } }")
                        == .ok)
                #expect(
                    try await post("{ contactProfile(contactUuid: \"missing-\(keys.contacts[0])\") { email } }") == .ok)
                #expect(try await post("{ contactProfileList {") == .badRequest)
            }
            try await mix()
            let afterOne = factory.handlesMade
            for _ in 0..<9 { try await mix() }
            #expect(factory.handlesMade == afterOne, "requests after the first made new metric handles")
        }
        // The handles made once record every request.
        #expect(queries() - queriesBefore == 10)
        #expect(answers(200) == 20)
        #expect(answers(400) == 10)
        await cache.shutdown()
    }

    @Test func theEngineSaysWhatBecameOfARequest() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        #expect(await test.run("{ contactProfileList { contactProfileList { email } } }").outcome == .executed)
        let missing = await test.run("{ contactProfile(contactUuid: \"missing\") { email } }")
        #expect(!missing.errors.isEmpty)
        #expect(missing.outcome == .executed, "a field error is an executed request")
        #expect(await test.run("{ contactProfileList {").outcome == .requestError)
        #expect(await test.run("{ contactProfileList { nope } }").outcome == .requestError)
        let get = GraphQLRequest(
            query: "mutation { deleteContactProfile(contactUuid: \"x\") { ok } }", allowsMutations: false)
        #expect(await test.engine.execute(get, tenant: TestEngine.tenantA).outcome == .mutationRefused)
    }

    /// The body is written without a JSON value made first; it is the same text as the response's
    /// JSON value, whatever the response holds.
    @Test func theBodyIsTheResponseAsJSONText() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 2, requests: 0))
        let requests = [
            GraphQLRequest(query: "{ contactProfileList { contactProfileList { email place { businessName } } } }"),
            GraphQLRequest(
                query: "{ contactProfileList { contactProfileList { email } } }", extensions: ["plan": true]),
            GraphQLRequest(query: "{ contactProfile(contactUuid: \"missing\") { email } }"),
            GraphQLRequest(query: "{ contactProfileList {"),
        ]
        for request in requests {
            let response = await test.engine.execute(request, tenant: TestEngine.tenantA)
            let body = String(decoding: response.body, as: UTF8.self)
            #expect(body == response.json.jsonText, "\(request.query)")
            let extensions = try JSONValue.parse(body)["extensions"]
            #expect(extensions?["cost"]?["storeCalls"]?.intValue == response.cost.storeCalls)
            #expect((extensions?["plan"] != nil) == (response.plan != nil))
        }
    }
}
