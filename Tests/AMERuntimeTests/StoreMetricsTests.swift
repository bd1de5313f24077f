import AMERuntime
import AMEServer
import CoreMetrics
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
}
