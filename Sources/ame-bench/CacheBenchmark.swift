import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// A read workload whose keys follow a Zipf distribution (a few hot contacts, a long tail), run
/// without the cache, with the memory layer only, and with memory + Redis: hit rate per layer,
/// store calls and latency.
struct CacheBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Zipf-distributed reads with and without the cache (memory, memory + Redis).")

    @Option(help: "Requests per configuration (after as many warm-up requests).") var requests = 20_000
    @Option(help: "Contacts in the seeded data (places: a quarter, corporations: a fortieth).") var contacts = 2000
    @Option(help: "The Zipf exponent.") var exponent = 1.1
    @Option(help: "Memory layer size in entries (AME_CACHE_MEMORY_MAX).") var memoryMax = 1000
    @Option(help: "A Redis to use for the shared layer, e.g. redis://127.0.0.1:6390 (else memory only).")
    var redisURL: String?

    func run() async throws {
        let temporary = try BenchmarkStore()
        defer { temporary.remove() }
        let store = temporary.store
        let registry = AMESchemaRegistry.registry
        let plain = try GraphQLEngine(registry: registry, store: store)
        try await plain.createTables()
        let tenant = Tenant(endpointId: "bench")
        let keys = try await SampleData(
            corporations: max(1, contacts / 40), places: max(1, contacts / 4), contacts: contacts, requests: 0
        ).load(into: plain, tenant: tenant)
        let query = """
            query($id: String!) { contactProfile(contactUuid: $id) { email data place { businessName
              corporationProfile { businessName data } } } }
            """
        var configurations: [(String, GraphQLEngine)] = [("no cache", plain)]
        for redis in [nil] + (redisURL.map { [$0] } ?? []) {
            let cache = HybridCache(
                configuration: CacheConfiguration(
                    memoryMaxEntries: memoryMax, redis: try redis.map { try RedisConfiguration(url: $0) }),
                registry: registry)
            cache.start()
            while !cache.isMemoryLayerActive { try await Task.sleep(for: .milliseconds(10)) }
            if let redis {
                // A clean shared layer, and the seeding's tombstones gone.
                _ = try await RedisClient(configuration: try RedisConfiguration(url: redis)).send(["FLUSHDB"])
            }
            configurations.append(
                (
                    redis == nil ? "memory" : "memory + Redis",
                    try GraphQLEngine(registry: registry, store: store, cache: cache)
                ))
        }
        let zipf = Zipf(count: keys.contacts.count, exponent: exponent)
        print(
            "cache: \(requests) gets of a contact with its data, place and corporation (4 levels, 5 keys);"
                + " contacts drawn by Zipf (s = \(exponent)) over \(keys.contacts.count);"
                + " memory layer \(memoryMax) entries; embedded store (a file)")
        print(
            "configuration | store calls / request | memory hit rate | Redis hit rate | served by the cache | p50 | p99"
        )
        print("---|---|---|---|---|---|---")
        for (name, engine) in configurations {
            var random = SplitMix64(seed: 7)
            var durations: [Double] = []
            var storeCalls = 0
            var cacheHits = 0
            var lookups = 0
            let before = engine.cache?.statistics ?? HybridCache.Statistics()
            for run in 0..<(2 * requests) {
                let contact = keys.contacts[zipf.sample(&random)]
                let request = GraphQLRequest(query: query, variables: ["id": .string(contact)])
                let start = ContinuousClock.now
                let response = await engine.execute(request, tenant: tenant)
                _ = response.body
                guard response.errors.isEmpty else { throw ValidationError("\(name): \(response.errors)") }
                if run >= requests {
                    durations.append(ExecutorBenchmark.milliseconds(ContinuousClock.now - start))
                    storeCalls += response.cost.storeCalls
                    cacheHits += response.cost.cacheHits
                    lookups += response.cost.cacheHits + response.cost.itemsRead
                }
            }
            let after = engine.cache?.statistics ?? HybridCache.Statistics()
            func rate(_ hits: Int, _ misses: Int) -> String {
                hits + misses == 0 ? "–" : String(format: "%.1f%%", 100 * Double(hits) / Double(hits + misses))
            }
            durations.sort()
            print(
                "\(name) | \(String(format: "%.2f", Double(storeCalls) / Double(requests))) | "
                    + rate(after.memoryHits - before.memoryHits, after.memoryMisses - before.memoryMisses) + " | "
                    + rate(after.redisHits - before.redisHits, after.redisMisses - before.redisMisses) + " | "
                    + rate(cacheHits, lookups - cacheHits) + " | "
                    + String(
                        format: "%.3f ms | %.3f ms", durations[durations.count / 2],
                        durations[durations.count * 99 / 100]))
        }
    }
}

/// Draws 0..<count with probability proportional to 1 / (rank + 1)^exponent.
struct Zipf {
    let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var total = 0.0
        cumulative = (1...count).map { rank in
            total += 1 / pow(Double(rank), exponent)
            return total
        }
    }

    func sample(_ random: inout SplitMix64) -> Int {
        let target = Double(random.next() >> 11) / Double(1 << 53) * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
