import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// Times AME's executor on the embedded store (in memory) for the original's cases.
struct ExecutorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executor", abstract: "Time the executor on the original's queries (embedded store, in memory).")

    @Option(help: "Measured runs of each case (after 20 warm-up runs).") var iterations = 500

    func run() async throws {
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        let tenant = Tenant(endpointId: "bench")
        let keys = try await SampleData().load(into: engine, tenant: tenant)
        let cases: [(String, String, JSONObject)] = [
            (
                "100 contacts → place → corporation",
                "{ contactProfileList(limit: 100) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }",
                [:]
            ),
            (
                "the same with data on contacts and corporations",
                "{ contactProfileList(limit: 100) { contactProfileList { email data place { businessName corporationProfile { businessName data } } } } }",
                [:]
            ),
            (
                "the 4-level query",
                """
                query($id: ID!) { contactRequest(requestUuid: $id) { requestTitle requestDetail contactProfile { email firstName
                  place { businessName corporationProfile { businessName corporationType categories data } } data } } }
                """,
                ["id": .string(keys.requests[0])]
            ),
            (
                "a single get", "query($id: ID!) { contactProfile(contactUuid: $id) { email firstName lastName } }",
                ["id": .string(keys.contacts[0])]
            ),
            (
                "100 contacts, no nesting",
                "{ contactProfileList(limit: 100) { contactProfileList { email firstName } } }", [:]
            ),
        ]
        print("executor: embedded store in memory, seeded 10/50/100/100, \(iterations) runs per case")
        print("case | store calls | items read | p50 | p99")
        print("---|---|---|---|---")
        for (name, query, variables) in cases {
            let request = GraphQLRequest(query: query, variables: variables)
            var durations: [Duration] = []
            var last: GraphQLResponse?
            for run in 0..<(iterations + 20) {
                let start = ContinuousClock.now
                let response = await engine.execute(request, tenant: tenant)
                _ = response.body
                if run >= 20 { durations.append(ContinuousClock.now - start) }
                last = response
            }
            guard let last, last.errors.isEmpty else {
                throw ValidationError("\(name): \(last?.errors.map(\.error.message) ?? [])")
            }
            durations.sort()
            func percentile(_ p: Double) -> String {
                let value = durations[min(durations.count - 1, Int(Double(durations.count) * p))]
                let (seconds, attoseconds) = value.components
                return String(format: "%.2f ms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
            }
            print(
                "\(name) | \(last.cost.storeCalls) | \(last.cost.itemsRead) | \(percentile(0.5)) | \(percentile(0.99))")
        }
    }
}
