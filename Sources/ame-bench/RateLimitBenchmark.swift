import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// What rate limiting adds to a request: the latency of a small query with limits off, with the
/// instance's own buckets and with buckets shared through Redis, and how many admissions and
/// charges the limiter decides per second, one at a time and many at once.
struct RateLimitBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit",
        abstract: "Request latency and limiter throughput with rate limits off, local, in Redis.")

    @Option(help: "Requests per configuration (after as many warm-up requests).") var requests = 5000
    @Option(help: "Admission + charge pairs for the throughput runs.") var decisions = 20_000
    @Option(help: "Tasks deciding at once in the concurrent run.") var concurrency = 32
    @Option(help: "A Redis for the shared buckets, e.g. redis://127.0.0.1:6390 (else local only).")
    var redisURL: String?

    func run() async throws {
        let temporary = try BenchmarkStore()
        defer { temporary.remove() }
        let store = temporary.store
        let registry = AMESchemaRegistry.registry
        let plain = try GraphQLEngine(registry: registry, store: store)
        try await plain.createTables()
        let tenant = Tenant(endpointId: "bench")
        let keys = try await SampleData(corporations: 1, places: 4, contacts: 10, requests: 0)
            .load(into: plain, tenant: tenant)
        // Never refused: what is measured is the decision, not the wait.
        let limits = RateLimits(
            classes: [RateLimitClass(name: "bench", readUnitsPerSecond: 1_000_000, writeUnitsPerSecond: 1_000_000)],
            defaultClass: "bench")
        var limiters: [(String, RateLimiter?)] = [
            ("off", nil), ("local", RateLimiter(limits: limits, redis: nil, metrics: RuntimeMetrics())),
        ]
        if let redisURL {
            limiters.append(
                (
                    "Redis",
                    RateLimiter(
                        limits: limits, redis: try RedisConfiguration(url: redisURL), metrics: RuntimeMetrics(),
                        namespace: "ame-bench:\(UUID().uuidString):")
                ))
        }
        let query = GraphQLRequest(
            query: "query($id: String!) { contactProfile(contactUuid: $id) { email } }",
            variables: ["id": .string(keys.contacts[0])])
        print(
            "ratelimit: \(requests) gets of one contact by key (embedded store); then \(decisions) admissions"
                + " + charges of 1 read unit, one at a time and \(concurrency) at once")
        print(
            "buckets | request p50 | request p99 | admissions + charges per second, one at a time | \(concurrency) at once"
        )
        print("---|---|---|---|---")
        for (name, limiter) in limiters {
            let engine = try GraphQLEngine(registry: registry, store: store, rateLimiter: limiter)
            var durations: [Double] = []
            for run in 0..<(2 * requests) {
                let start = ContinuousClock.now
                let response = await engine.execute(query, tenant: tenant)
                guard response.errors.isEmpty else { throw ValidationError("\(name): \(response.errors)") }
                if run >= requests { durations.append(ExecutorBenchmark.milliseconds(ContinuousClock.now - start)) }
            }
            durations.sort()
            var rates = ["–", "–"]
            if let limiter {
                let one = CapacityUnits(read: 1)
                var start = ContinuousClock.now
                for index in 0..<decisions {
                    let tenant = Tenant(endpointId: "t\(index % 100)")
                    _ = await limiter.admit(tenant, estimate: one)
                    await limiter.charge(tenant, units: one)
                }
                rates[0] = String(Int(Double(decisions) / ((ContinuousClock.now - start) / .seconds(1))))
                start = ContinuousClock.now
                await withTaskGroup(of: Void.self) { group in
                    for task in 0..<concurrency {
                        group.addTask {
                            for index in stride(from: task, to: decisions, by: concurrency) {
                                let tenant = Tenant(endpointId: "t\(index % 100)")
                                _ = await limiter.admit(tenant, estimate: one)
                                await limiter.charge(tenant, units: one)
                            }
                        }
                    }
                }
                rates[1] = String(Int(Double(decisions) / ((ContinuousClock.now - start) / .seconds(1))))
                await limiter.shutdown()
            }
            print(
                "\(name) | "
                    + String(
                        format: "%.3f ms | %.3f ms", durations[durations.count / 2],
                        durations[durations.count * 99 / 100]) + " | \(rates[0]) | \(rates[1])")
        }
    }
}
