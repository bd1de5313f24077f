import AMEGenerated
import AMEServer
import Foundation
import Logging
import MetricsTestKit
import Testing

@testable import AMERuntime

/// Per-tenant token buckets of capacity units: shared through a real `redis-server`, local when
/// it is unreachable, and how the engine answers a tenant whose units are spent.
@Suite struct RateLimitTests {
    /// Slow enough that what a test spends stays spent however long a loaded machine takes to run it.
    static let small = RateLimitClass(
        name: "small", readUnitsPerSecond: 0.01, writeUnitsPerSecond: 0.01, readBurst: 10, writeBurst: 10)
    /// Refills within seconds, for the test that waits for it.
    static let refill = RateLimitClass(
        name: "refill", readUnitsPerSecond: 0.5, writeUnitsPerSecond: 0.5, readBurst: 2, writeBurst: 2)
    static let large = RateLimitClass(name: "large", readUnitsPerSecond: 1000, writeUnitsPerSecond: 1000)
    static let limits = RateLimits(
        classes: [small, refill, large], defaultClass: "large", tenants: [("acme", "small"), ("refilling", "refill")])
    static let acme = Tenant(endpointId: "acme")
    static let other = Tenant(endpointId: "other")

    /// A limiter on `redis` whose keys are its own (tests share one server only within themselves).
    static func limiter(
        _ redis: RedisServer?, namespace: String, metrics: TestMetrics = TestMetrics(),
        retryInterval: Duration = .seconds(1), log: LogLines = LogLines()
    ) throws -> RateLimiter {
        RateLimiter(
            // A generous command timeout: a loaded test machine must not look like a Redis outage.
            limits: limits, redis: try redis.map { try RedisConfiguration(url: $0.url, commandTimeout: .seconds(5)) },
            metrics: RuntimeMetrics(factory: metrics, tenantClasses: limits.classNames), namespace: namespace,
            retryInterval: retryInterval, logger: Logger(label: "ame.limits") { _ in log })
    }

    /// A log handler that keeps the messages it is given, with their levels.
    struct LogLines: LogHandler, @unchecked Sendable {
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var lines: [String] = []
        }
        let lines = Lines()
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.lock.lock()
            lines.lines.append("\(event.level): \(event.message)")
            lines.lock.unlock()
        }

        var messages: [String] {
            lines.lock.lock()
            defer { lines.lock.unlock() }
            return lines.lines
        }
    }

    @Test func twoLimitersOnOneRedisShareATenantsBucket() async throws {
        guard let redis = try await RedisServer.start() else { return }
        let namespace = "test:\(UUID().uuidString):"
        let first = try Self.limiter(redis, namespace: namespace)
        let second = try Self.limiter(redis, namespace: namespace)
        #expect(await second.admit(Self.acme, estimate: CapacityUnits(read: 4)) == nil)

        // The first instance charges 12 read units to a bucket of 10: it is in debt for both.
        await first.charge(Self.acme, units: CapacityUnits(read: 12))
        let tokens = try #require(try await second.sharedTokens(of: Self.acme))
        #expect(tokens.read < 0 && tokens.read > -2.5, "\(tokens)")
        #expect(tokens.write == 10)

        let refusal = try #require(await second.admit(Self.acme, estimate: .zero))
        #expect(refusal.kinds == [.read])
        #expect(refusal.tenantClass == Self.small)
        // 2 units of debt at 0.01 a second: 200 seconds, and one for the partial second, less
        // what refilled since the charge (however slow the machine).
        let debtSeconds = Int((-tokens.read / 0.01).rounded(.up))
        #expect((1...debtSeconds + 1).contains(refusal.retryAfterSeconds), "\(refusal), \(tokens)")
        // Writes have their own bucket, and other tenants theirs.
        #expect(await second.admit(Self.acme, estimate: CapacityUnits(write: 5)) != nil, "reads are still in debt")
        #expect(await first.admit(Self.other, estimate: CapacityUnits(read: 500)) == nil)
        let ttl = try await RedisClient(configuration: try RedisConfiguration(url: redis.url))
            .send(["TTL", first.key(of: Self.acme)])
        guard case .integer(let seconds) = ttl else {
            Issue.record("the bucket has no expiry: \(ttl)")
            return
        }
        // Expires once full again: 12 units at 0.01 a second, plus a second.
        #expect((1100...1202).contains(seconds), "TTL \(seconds)")
        await first.shutdown()
        await second.shutdown()
    }

    @Test func aRequestLargerThanTheBurstIsAdmittedOnceTheBucketIsFull() async throws {
        guard let redis = try await RedisServer.start() else { return }
        let limiter = try Self.limiter(redis, namespace: "test:\(UUID().uuidString):")
        // 50 units from a bucket of 10: capped at the burst, so it is not refused forever.
        #expect(await limiter.admit(Self.acme, estimate: CapacityUnits(read: 50)) == nil)
        await limiter.charge(Self.acme, units: CapacityUnits(read: 9.5))
        let refusal = try #require(await limiter.admit(Self.acme, estimate: CapacityUnits(read: 50)))
        // 0.5 left of the 10 it needs: 950 seconds at 0.01 a second, in whole seconds.
        #expect((900...951).contains(refusal.retryAfterSeconds), "\(refusal)")
        #expect(refusal.kinds == [.read])
        await limiter.shutdown()
    }

    @Test func afterTheAdvertisedRetryAfterTheRequestIsAdmitted() async throws {
        guard let redis = try await RedisServer.start() else { return }
        let limiter = try Self.limiter(redis, namespace: "test:\(UUID().uuidString):")
        let tenant = Tenant(endpointId: "refilling")
        // 6 units from a bucket of 2 at 0.5 a second: 4 in debt, 10 seconds from holding 1 again.
        await limiter.charge(tenant, units: CapacityUnits(write: 6))
        let refusal = try #require(await limiter.admit(tenant, estimate: CapacityUnits(write: 1)))
        #expect(refusal.kinds == [.write])
        #expect((1...11).contains(refusal.retryAfterSeconds), "\(refusal)")
        let before = try #require(try await limiter.sharedTokens(of: tenant)).write
        #expect(before < 0)
        try await Task.sleep(for: .seconds(refusal.retryAfterSeconds))
        #expect(await limiter.admit(tenant, estimate: CapacityUnits(write: 1)) == nil)
        // What let it in is the refill in Redis, at the class's rate.
        let after = try #require(try await limiter.sharedTokens(of: tenant)).write
        #expect(after >= 1 && after - before >= Double(refusal.retryAfterSeconds) * 0.5 * 0.99, "\(before) → \(after)")
        await limiter.shutdown()
    }

    @Test func withRedisDownEachInstanceStillLimitsAndCountsItsLocalDecisions() async throws {
        guard let redis = try await RedisServer.start() else { return }
        let metrics = TestMetrics()
        let log = LogLines()
        let limiter = try Self.limiter(
            redis, namespace: "test:\(UUID().uuidString):", metrics: metrics, retryInterval: .milliseconds(50), log: log
        )
        #expect(await limiter.admit(Self.acme, estimate: .zero) == nil)
        #expect(metrics.counterTotal(label: "ame_rate_limit_fallbacks_total") == 0)
        redis.kill()

        await limiter.charge(Self.acme, units: CapacityUnits(read: 12))
        let refusal = try #require(await limiter.admit(Self.acme, estimate: .zero))
        #expect(refusal.kinds == [.read])
        #expect(await limiter.admit(Self.other, estimate: CapacityUnits(read: 10)) == nil)
        #expect(metrics.counterTotal(label: "ame_rate_limit_fallbacks_total") == 3)
        #expect(
            metrics.counterTotal(
                label: "ame_rate_limited_total", dimensions: [("kind", "read"), ("tenant_class", "small")])
                == 1)
        // Once per outage, not per decision.
        #expect(
            log.messages == [
                "warning: redis unreachable: rate limits are enforced by each instance alone until it answers"
            ])

        // Back: decisions are shared again, and no longer counted as local.
        try await redis.run()
        try await Task.sleep(for: .milliseconds(100))
        #expect(await limiter.admit(Self.acme, estimate: .zero) == nil, "Redis's bucket was never charged")
        await limiter.charge(Self.acme, units: CapacityUnits(read: 1))
        #expect(try await limiter.sharedTokens(of: Self.acme)?.read ?? 0 > 8.9)
        #expect(metrics.counterTotal(label: "ame_rate_limit_fallbacks_total") == 3)
        #expect(log.messages.count == 2)
        #expect(log.messages.last == "notice: rate limits are shared through Redis again")
        await limiter.shutdown()
    }

    @Test func withoutRedisTheBucketsAreThisInstancesAndNothingIsAFallback() async throws {
        let metrics = TestMetrics()
        let limiter = try Self.limiter(nil, namespace: "unused:", metrics: metrics)
        await limiter.charge(Self.acme, units: CapacityUnits(read: 3, write: 10.5))
        let refusal = try #require(await limiter.admit(Self.acme, estimate: CapacityUnits(read: 6)))
        #expect(refusal.kinds == [.write])
        #expect(metrics.counterTotal(label: "ame_rate_limit_fallbacks_total") == 0)
        #expect(await limiter.admit(Self.other, estimate: .zero) == nil)
        // Tenants are told apart by the bytes of their ids, here too.
        let composed = Tenant(endpointId: "caf\u{E9}")
        // Class `large`: 1000 at once and a second; 99,000 in debt.
        await limiter.charge(composed, units: CapacityUnits(read: 100_000))
        #expect(await limiter.admit(composed, estimate: .zero) != nil)
        #expect(await limiter.admit(Tenant(endpointId: "cafe\u{301}"), estimate: .zero) == nil)
    }

    @Test func capacityUnitsAreCountedByKindOperationAndTenantClass() {
        let metrics = TestMetrics()
        let runtime = RuntimeMetrics(factory: metrics, tenantClasses: ["small", "large"])
        #expect(
            metrics.counters(label: "ame_capacity_units_total").count == 2 * 2 * RuntimeMetrics.storeOperations.count,
            "every series is made at once")
        runtime.recordCapacityUnits(
            ["Query": CapacityUnits(read: 1.5), "TransactWriteItems": CapacityUnits(read: 2, write: 6)],
            tenantClass: "small")
        runtime.recordCapacityUnits(
            ["Query": CapacityUnits(read: 1.5), "Scan": CapacityUnits(read: 9)], tenantClass: "small")
        func total(_ kind: String, _ operation: String, _ tenantClass: String = "small") -> Int64 {
            metrics.counterTotal(
                label: "ame_capacity_units_total",
                dimensions: [("kind", kind), ("operation", operation), ("tenant_class", tenantClass)])
        }
        #expect(total("read", "Query") == 3)
        #expect(total("read", "TransactWriteItems") == 2)
        #expect(total("write", "TransactWriteItems") == 6)
        #expect(total("read", "Query", "large") == 0)
        #expect(metrics.counters(label: "ame_capacity_units_total").count == 20, "no series for an unknown operation")
    }

    @Test func theLocalBucketRefillsAtItsRateUpToItsBurst() {
        var bucket = TokenBucket(burst: 10, now: 0)
        bucket.charge(14)
        #expect(bucket.tokens == -4)
        #expect(bucket.retryAfter(estimate: 0, unitsPerSecond: 2, burst: 10) == 3)
        bucket.refill(unitsPerSecond: 2, burst: 10, now: 2)
        #expect(bucket.tokens == 0)
        #expect(bucket.retryAfter(estimate: 0, unitsPerSecond: 2, burst: 10) == 1, "empty is refused")
        bucket.refill(unitsPerSecond: 2, burst: 10, now: 3)
        #expect(bucket.retryAfter(estimate: 0, unitsPerSecond: 2, burst: 10) == nil)
        #expect(bucket.retryAfter(estimate: 5, unitsPerSecond: 2, burst: 10) == 2)
        bucket.refill(unitsPerSecond: 2, burst: 10, now: 100)
        #expect(bucket.tokens == 10)
        #expect(bucket.retryAfter(estimate: 1000, unitsPerSecond: 2, burst: 10) == nil, "capped at the burst")
    }

    // MARK: The engine

    /// An engine over a fresh embedded store whose tenant `acme` is in class `small`.
    static func engine(limiter: RateLimiter?, store: any Store) async throws -> GraphQLEngine {
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: store, metrics: limiter?.metrics, rateLimiter: limiter)
        try await engine.createTables()
        return engine
    }

    @Test func aRefusedRequestReadsNothingChangesNothingAndSaysWhenToRetry() async throws {
        let metrics = TestMetrics()
        let limiter = try Self.limiter(nil, namespace: "unused:", metrics: metrics)
        let store = try SQLiteStore(path: nil)
        let engine = try await Self.engine(limiter: limiter, store: store)
        let unlimited = try await Self.engine(limiter: nil, store: store)
        _ = try await SampleData(corporations: 1, places: 1, contacts: 2, requests: 0).load(
            into: unlimited, tenant: Self.acme)
        let list = GraphQLRequest(query: "{ contactProfileList { contactProfileList { email } } }")
        #expect(await engine.execute(list, tenant: Self.acme).outcome == .executed)

        await limiter.charge(Self.acme, units: CapacityUnits(read: 12))
        let refused = await engine.execute(list, tenant: Self.acme)
        guard case .rateLimited(let seconds) = refused.outcome else {
            Issue.record("not rate limited: \(refused.outcome)")
            return
        }
        #expect(seconds >= 1)
        #expect(refused.errorCodes == ["RATE_LIMITED"])
        #expect(refused.cost.storeCalls == 0)
        #expect(refused.storeCounters == StoreSession.Counters())
        #expect(refused.data == nil)
        let error = try #require(refused.errors.first)
        #expect(error.json["extensions"]?["retryAfterSeconds"] == .int(seconds))
        #expect(error.json["extensions"]?["units"] == ["read"])
        #expect(error.error.message.contains("read"))
        #expect(error.error.message.contains("0.01 read units per second, 10 at once"))
        #expect(error.error.message.contains("retry after \(seconds) s"))
        #expect(
            metrics.counterTotal(
                label: "ame_rate_limited_total", dimensions: [("kind", "read"), ("tenant_class", "small")])
                == 1)

        // A refused mutation writes nothing.
        let places = GraphQLRequest(query: "{ placeList { placeList { businessName } } }")
        let placesBefore = await unlimited.execute(places, tenant: Self.acme).data
        let create = GraphQLRequest(
            query: #"mutation { insertUpdatePlace(businessName: "Refused", updatedBy: "x") { place { placeUuid } } }"#)
        let refusedWrite = await engine.execute(create, tenant: Self.acme)
        #expect(refusedWrite.errorCodes == ["RATE_LIMITED"])
        #expect(refusedWrite.cost.storeCalls == 0)
        let placesAfter = await unlimited.execute(places, tenant: Self.acme).data
        #expect(placesAfter?["placeList"]?["placeList"]?.arrayValue.count == 1)
        #expect(placesAfter == placesBefore)

        // Another tenant is not affected.
        #expect(await engine.execute(list, tenant: Self.other).outcome == .executed)
    }
}
