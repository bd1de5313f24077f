import AMEGenerated
import AMERuntime

/// An engine on a fresh embedded store whose every tenant is in one class of 0.01 read and write
/// units a second (local buckets): a charge of a few units refuses its tenant for minutes.
struct RateLimitedEngine {
    let engine: GraphQLEngine
    let limiter: RateLimiter

    init() async throws {
        let limits = RateLimits(
            classes: [RateLimitClass(name: "small", readUnitsPerSecond: 0.01, writeUnitsPerSecond: 0.01)],
            defaultClass: "small")
        limiter = RateLimiter(limits: limits, redis: nil, metrics: RuntimeMetrics())
        engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil), rateLimiter: limiter)
        try await engine.createTables()
    }
}
