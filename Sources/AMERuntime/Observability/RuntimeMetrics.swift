import Metrics

/// The runtime's metrics, through swift-metrics (`GET /metrics` exports them): each name and its
/// label values are spelled here once, and every series whose label values are known in advance
/// exists at 0 from the start (``registerAtZero()``), so that dashboards and alerts see it before
/// its first event.
public enum RuntimeMetrics {
    /// The store operations that `ame_store_requests_total` and `ame_store_throttles_total` count.
    public static let storeOperations = ["GetItem", "BatchGetItem", "Query", "TransactWriteItems", "BatchWriteItem"]
    /// The error codes of `ame_field_errors_total` exported from the start: the one the alerts
    /// watch (`STORE_UNAVAILABLE`) and the runtime's own failures (`INTERNAL`).
    static let errorCodesAtZero = ["STORE_UNAVAILABLE", "INTERNAL"]

    static func storeRequests(_ operation: String) -> Counter {
        Counter(label: "ame_store_requests_total", dimensions: [("operation", operation)])
    }

    static func storeRequestDuration(_ operation: String) -> Metrics.Timer {
        Metrics.Timer(label: "ame_store_request_duration_seconds", dimensions: [("operation", operation)])
    }

    static func storeThrottles(_ operation: String) -> Counter {
        Counter(label: "ame_store_throttles_total", dimensions: [("operation", operation)])
    }

    /// Errors reported at a field; codes are a fixed set, so the label is bounded.
    static func fieldErrors(_ code: String) -> Counter {
        Counter(label: "ame_field_errors_total", dimensions: [("code", code)])
    }

    static func cacheRequests(layer: String, hit: Bool) -> Counter {
        Counter(label: "ame_cache_requests_total", dimensions: [("layer", layer), ("result", hit ? "hit" : "miss")])
    }

    static func cacheEvictions() -> Counter {
        Counter(label: "ame_cache_evictions_total", dimensions: [("layer", "memory")])
    }

    static func redisErrors() -> Counter { Counter(label: "ame_cache_redis_errors_total") }

    static func redisCircuitOpen() -> Gauge { Gauge(label: "ame_cache_redis_circuit_open") }

    /// Creates the runtime's series at 0. Call once, after `MetricsSystem.bootstrap`.
    public static func registerAtZero() {
        for operation in storeOperations {
            _ = storeRequests(operation)
            _ = storeRequestDuration(operation)
            _ = storeThrottles(operation)
        }
        for code in errorCodesAtZero { _ = fieldErrors(code) }
        for layer in ["memory", "redis"] {
            _ = cacheRequests(layer: layer, hit: true)
            _ = cacheRequests(layer: layer, hit: false)
        }
        _ = cacheEvictions()
        _ = redisErrors()
        redisCircuitOpen().record(0)
    }
}
