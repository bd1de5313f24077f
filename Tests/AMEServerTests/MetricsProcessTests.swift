import AMERuntime
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `GET /metrics` of a real `ame serve`, as Prometheus scrapes it.
@Suite(.serialized) struct MetricsProcessTests {
    @Test func everySeriesWithKnownLabelsIsExportedAtZeroBeforeTheFirstRequest() async throws {
        _ = try await ServeProcessTests.withFreshServer { _, port in
            let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let lines = Set(String(decoding: body, as: UTF8.self).split(separator: "\n").map(String.init))
            var expected: [String] = []
            for operation in RuntimeMetrics.storeOperations {
                expected += [
                    "ame_store_requests_total{operation=\"\(operation)\"} 0",
                    "ame_store_throttles_total{operation=\"\(operation)\"} 0",
                    "ame_store_request_duration_seconds_count{operation=\"\(operation)\"} 0",
                ]
                // Without rate limits every tenant is in the one class `default`.
                for kind in ["read", "write"] {
                    expected.append(
                        "ame_capacity_units_total{kind=\"\(kind)\",operation=\"\(operation)\",tenant_class=\"default\"} 0"
                    )
                }
            }
            expected += [
                "ame_rate_limited_total{kind=\"read\",tenant_class=\"default\"} 0",
                "ame_rate_limited_total{kind=\"write\",tenant_class=\"default\"} 0", "ame_rate_limit_fallbacks_total 0",
            ]
            expected += [
                "ame_field_errors_total{code=\"STORE_UNAVAILABLE\"} 0", "ame_field_errors_total{code=\"INTERNAL\"} 0",
                "ame_cache_requests_total{layer=\"memory\",result=\"hit\"} 0",
                "ame_cache_requests_total{layer=\"redis\",result=\"miss\"} 0",
                "ame_cache_evictions_total{layer=\"memory\"} 0", "ame_cache_redis_errors_total 0",
                "ame_cache_redis_circuit_open 0.0", "ame_ready_checks_total{result=\"ready\"} 0",
                "ame_ready_checks_total{result=\"unavailable\"} 0",
                "ame_request_duration_seconds_count{operation=\"anonymous\"} 0",
            ]
            let missing = expected.filter { !lines.contains($0) }
            #expect(missing.isEmpty, "missing from /metrics: \(missing)")
        }
    }
}
