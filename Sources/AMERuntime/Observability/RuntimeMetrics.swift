import Metrics

/// The runtime's metrics, through swift-metrics (`GET /metrics` exports them): each name and its
/// label values are spelled here once.
///
/// Handles are made once per label set and reused: those whose label values are known in advance
/// when the instance is made (so every such series exists at 0 from the start), the others on
/// first use. Making a handle costs a backend lookup under its lock, with its label set built
/// again, which a store call, a cache read or a request must not pay. An engine, its sessions and
/// its cache share one instance (``GraphQLEngine/metrics``); the server's request metrics use its
/// ``factory``.
public final class RuntimeMetrics: Sendable {
    /// The store operations that `ame_store_requests_total` and `ame_store_throttles_total` count.
    public static let storeOperations = ["GetItem", "BatchGetItem", "Query", "TransactWriteItems", "BatchWriteItem"]
    /// The error codes of `ame_field_errors_total` exported from the start: the one the alerts
    /// watch (`STORE_UNAVAILABLE`) and the runtime's own failures (`INTERNAL`).
    static let errorCodesAtZero = ["STORE_UNAVAILABLE", "INTERNAL"]

    /// The backend every handle is made with.
    public let factory: any MetricsFactory

    /// The handles of one store operation.
    struct StoreOperation: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
        let throttles: Counter

        init(_ operation: String, factory: any MetricsFactory) {
            requests = Counter(
                label: "ame_store_requests_total", dimensions: [("operation", operation)], factory: factory)
            duration = Metrics.Timer(
                label: "ame_store_request_duration_seconds", dimensions: [("operation", operation)], factory: factory)
            throttles = Counter(
                label: "ame_store_throttles_total", dimensions: [("operation", operation)], factory: factory)
        }
    }

    /// `ame_cache_requests_total` of one layer.
    struct CacheLayer: Sendable {
        let hits: Counter
        let misses: Counter

        init(_ layer: String, factory: any MetricsFactory) {
            func counter(_ result: String) -> Counter {
                Counter(
                    label: "ame_cache_requests_total", dimensions: [("layer", layer), ("result", result)],
                    factory: factory)
            }
            hits = counter("hit")
            misses = counter("miss")
        }

        func count(hits: Int, misses: Int) {
            if hits > 0 { self.hits.increment(by: hits) }
            if misses > 0 { self.misses.increment(by: misses) }
        }
    }

    private let storeOperations: [String: StoreOperation]
    /// Operations outside ``storeOperations`` (a throttled `CreateTable`): a fixed set of DynamoDB's.
    private let otherStoreOperations: MetricHandles<String, StoreOperation>
    /// By error code: codes are a fixed set, so the label is bounded.
    private let fieldErrors: MetricHandles<String, Counter>
    /// The keys each layer of the cache answered and missed.
    let memoryRequests: CacheLayer
    let redisRequests: CacheLayer
    private let cacheEvictions: Counter
    private let redisErrors: Counter
    private let redisCircuitOpen: Gauge

    /// The labels of `ame_capacity_units_total`: a capacity kind, a store operation and a tenant
    /// class (classes are a bounded set, ``RateLimits/Bounds/maxClasses``; never a tenant id).
    struct CapacityLabels: Hashable, Sendable {
        var kind: CapacityKind
        var operation: String
        var tenantClass: String
    }

    /// The labels of `ame_rate_limited_total`.
    struct RefusalLabels: Hashable, Sendable {
        var kind: CapacityKind
        var tenantClass: String
    }

    private let capacityUnits: MetricHandles<CapacityLabels, FloatingPointCounter>
    private let rateLimited: MetricHandles<RefusalLabels, Counter>
    private let rateLimitFallbacks: Counter

    /// `tenantClasses` are the rate limits' classes (``RateLimits/classNames``), whose capacity and
    /// refusal series exist at 0 from the start; without rate limits, every tenant is in
    /// ``RateLimits/unlimitedClass``.
    public init(
        factory: any MetricsFactory = MetricsSystem.factory, tenantClasses: [String] = [RateLimits.unlimitedClass]
    ) {
        self.factory = factory
        let kinds = CapacityKind.allCases
        capacityUnits = MetricHandles(
            preparing: tenantClasses.flatMap { tenantClass in
                kinds.flatMap { kind in
                    Self.storeOperations.map {
                        CapacityLabels(kind: kind, operation: $0, tenantClass: tenantClass)
                    }
                }
            }
        ) { labels in
            FloatingPointCounter(
                label: "ame_capacity_units_total",
                dimensions: [
                    ("kind", labels.kind.rawValue), ("operation", labels.operation),
                    ("tenant_class", labels.tenantClass),
                ], factory: factory)
        }
        rateLimited = MetricHandles(
            preparing: tenantClasses.flatMap { tenantClass in
                kinds.map { RefusalLabels(kind: $0, tenantClass: tenantClass) }
            }
        ) { labels in
            Counter(
                label: "ame_rate_limited_total",
                dimensions: [("kind", labels.kind.rawValue), ("tenant_class", labels.tenantClass)], factory: factory)
        }
        rateLimitFallbacks = Counter(label: "ame_rate_limit_fallbacks_total", factory: factory)
        storeOperations = Dictionary(
            uniqueKeysWithValues: Self.storeOperations.map { ($0, StoreOperation($0, factory: factory)) })
        otherStoreOperations = MetricHandles { StoreOperation($0, factory: factory) }
        fieldErrors = MetricHandles(preparing: Self.errorCodesAtZero) {
            Counter(label: "ame_field_errors_total", dimensions: [("code", $0)], factory: factory)
        }
        memoryRequests = CacheLayer("memory", factory: factory)
        redisRequests = CacheLayer("redis", factory: factory)
        cacheEvictions = Counter(
            label: "ame_cache_evictions_total", dimensions: [("layer", "memory")], factory: factory)
        redisErrors = Counter(label: "ame_cache_redis_errors_total", factory: factory)
        redisCircuitOpen = Gauge(label: "ame_cache_redis_circuit_open", factory: factory)
    }

    /// Creates the runtime's series at 0 with the bootstrapped backend. Call once, after
    /// `MetricsSystem.bootstrap`.
    public static func registerAtZero() {
        RuntimeMetrics().recordRedisCircuit(open: false)
    }

    private func storeOperation(_ operation: String) -> StoreOperation {
        storeOperations[operation] ?? otherStoreOperations[operation]
    }

    /// One store request (failed ones too) and how long it took.
    func recordStoreRequest(_ operation: String, duration: Duration) {
        let handles = storeOperation(operation)
        handles.requests.increment()
        handles.duration.record(duration: duration)
    }

    /// One throttled attempt of a store request.
    func countThrottle(_ operation: String) {
        storeOperation(operation).throttles.increment()
    }

    /// An error reported at a field.
    func countFieldError(code: String) {
        fieldErrors[code].increment()
    }

    func countEvictions(_ count: Int) {
        cacheEvictions.increment(by: count)
    }

    func countRedisError() {
        redisErrors.increment()
    }

    func recordRedisCircuit(open: Bool) {
        redisCircuitOpen.record(open ? 1 : 0)
    }

    /// The capacity units one request's store calls cost, by operation (`unitsByOperation`).
    func recordCapacityUnits(_ units: [String: CapacityUnits], tenantClass: String) {
        for (operation, units) in units {
            // Operations are DynamoDB's fixed set; anything else is not a label.
            guard Self.storeOperations.contains(operation) else { continue }
            if units.read > 0 {
                capacityUnits[CapacityLabels(kind: .read, operation: operation, tenantClass: tenantClass)]
                    .increment(by: units.read)
            }
            if units.write > 0 {
                capacityUnits[CapacityLabels(kind: .write, operation: operation, tenantClass: tenantClass)]
                    .increment(by: units.write)
            }
        }
    }

    /// A request refused because its tenant's `kind` bucket could not cover it.
    func countRateLimited(kind: CapacityKind, tenantClass: String) {
        rateLimited[RefusalLabels(kind: kind, tenantClass: tenantClass)].increment()
    }

    /// An admission or a charge decided by this process's own buckets because Redis was unreachable.
    func countRateLimitLocalDecision() {
        rateLimitFallbacks.increment()
    }
}
