import AMEGenerated
import AMERuntime
import AMEServer
import CoreMetrics
import Foundation
import MetricsTestKit
import Testing

/// Every store request is counted and timed by operation in the process metrics.
@Suite struct StoreMetricsTests {
    /// The process-wide test metrics backend (swift-metrics can be bootstrapped once).
    static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    @Test func storeRequestsAreCountedAndTimedByOperation() async throws {
        let metrics = Self.metrics
        func count(_ operation: String) -> Int64 {
            metrics.counters(label: "ame_store_requests_total", dimensions: [("operation", operation)])
                .reduce(0) { $0 + $1.totalValue }
        }
        let before = (count("Query"), count("BatchGetItem"), count("TransactWriteItems"))
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 2, contacts: 3, requests: 0))
        let response = await test.run("{ contactProfileList { contactProfileList { place { businessName } } } }")
        #expect(response.errors.isEmpty)
        // 6 writes by the seed, then the list (Query) and its places (BatchGetItem); other tests
        // may run meanwhile, so the counts grow by at least this much.
        #expect(count("Query") - before.0 >= 1)
        #expect(count("BatchGetItem") - before.1 >= 1)
        #expect(count("TransactWriteItems") - before.2 >= 6)
        let timer = try metrics.expectTimer("ame_store_request_duration_seconds", [("operation", "Query")])
        #expect(!timer.values.isEmpty)
    }

    func total(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        Self.metrics.counters(label: label, dimensions: dimensions).reduce(0) { $0 + $1.totalValue }
    }

    /// What the alerts watch (deploy/alerts.yml): throttled attempts, and the STORE_UNAVAILABLE
    /// answers once the retries run out.
    @Test func throttlingAndAnUnavailableStoreAreCounted() async throws {
        _ = Self.metrics
        guard let moto = try await MotoServer.shared.start() else { return }
        let proxy = try await FaultProxyProcess.start(upstream: moto.absoluteString)
        defer { proxy.stop() }
        let registry = AMESchemaRegistry.registry.withTablePrefix("m\(UUID().uuidString.prefix(6).lowercased())-")
        func engine(deadline: Duration) throws -> GraphQLEngine {
            let store = DynamoDBStore(
                configuration: DynamoDBConfiguration(
                    endpoint: proxy.endpoint, region: "us-east-1",
                    credentials: AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing"),
                    retry: RetryPolicy(baseDelay: .milliseconds(5), maxDelay: .milliseconds(20), deadline: deadline)),
                tables: registry.tableDefinitions)
            return try GraphQLEngine(registry: registry, store: store)
        }
        // Retries have time to get through two throttles; the other engine gives up quickly.
        let patient = try engine(deadline: .seconds(10))
        let hasty = try engine(deadline: .milliseconds(300))
        try await patient.createTables()
        let query = GraphQLRequest(query: "{ contactProfileList { contactProfileList { email } } }")
        let tenant = Tenant(endpointId: "metrics")

        let throttlesBefore = total("ame_store_throttles_total", [("operation", "Query")])
        try await proxy.queue(Array(repeating: ("throttle", target: "Query", milliseconds: 0), count: 2))
        let retried = await patient.execute(query, tenant: tenant)
        #expect(retried.errors.isEmpty)
        #expect(total("ame_store_throttles_total", [("operation", "Query")]) - throttlesBefore >= 2)

        let unavailableBefore = total("ame_field_errors_total", [("code", "STORE_UNAVAILABLE")])
        try await proxy.queue(Array(repeating: ("throttle", target: "Query", milliseconds: 0), count: 1000))
        let failed = await hasty.execute(query, tenant: tenant)
        #expect(failed.errors.map(\.error) == [.storeUnavailable])
        #expect(total("ame_field_errors_total", [("code", "STORE_UNAVAILABLE")]) - unavailableBefore >= 1)
    }

    /// The cache's circuit opens after repeated Redis failures, and the gauge says so.
    @Test func anOpenRedisCircuitIsAGauge() async throws {
        _ = Self.metrics
        guard let redis = try await RedisServer.start() else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-circuit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = HybridCache(
            configuration: CacheConfiguration(
                redis: try RedisConfiguration(url: redis.url), breakerThreshold: 2, breakerCooldown: .seconds(60)),
            registry: AMESchemaRegistry.registry)
        cache.start()
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry,
            store: try SQLiteStore(path: folder.appendingPathComponent("s.sqlite").path), cache: cache)
        try await engine.createTables()
        let tenant = Tenant(endpointId: "circuit")
        _ = try await SampleData(corporations: 1, places: 2, contacts: 2, requests: 0).load(
            into: engine, tenant: tenant)
        while !cache.isMemoryLayerActive { try await Task.sleep(for: .milliseconds(20)) }
        func opened() -> Int {
            ((try? Self.metrics.expectGauge("ame_cache_redis_circuit_open"))?.values ?? []).filter { $0 == 1 }.count
        }
        let openedBefore = opened()
        let query = GraphQLRequest(query: "{ contactProfileList { contactProfileList { place { businessName } } } }")
        #expect(await engine.execute(query, tenant: tenant).errors.isEmpty)
        redis.kill()
        // The lost subscription turns the memory layer off: reads go to Redis, and fail.
        let deadline = ContinuousClock.now + .seconds(10)
        while cache.isMemoryLayerActive && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Writes invalidate through Redis, and fail to: the circuit opens.
        _ = try await SampleData(corporations: 2, places: 0, contacts: 0, requests: 0, seed: 7).load(
            into: engine, tenant: Tenant(endpointId: "circuit-writes"))
        #expect(await engine.execute(query, tenant: tenant).errors.isEmpty)
        // The gauge is process-wide and other tests' caches may close their circuits meanwhile:
        // count the openings recorded.
        #expect(opened() - openedBefore >= 1, "\(cache.statistics)")
        await cache.shutdown()
    }
}
