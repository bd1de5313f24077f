import AMERuntime
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Synchronization
import Tracing

/// What one HTTP request may take (`AME_MAX_BODY_BYTES`, `AME_MAX_QUERY_LENGTH`,
/// `AME_REQUEST_TIMEOUT`, the JSON bounds of its body and the connection timeouts).
public struct ServerLimits: Sendable {
    public var maxBodyBytes: Int
    public var maxQueryLength: Int
    public var requestTimeout: Duration
    /// The bounds of a JSON body (`AME_MAX_JSON_DEPTH`, `AME_MAX_JSON_KEYS`, `AME_MAX_STRING_BYTES`).
    public var json: JSONLimits
    /// How long a client may take to send a request, or leave its connection idle.
    public var connections: ConnectionTimeouts

    public init(
        maxBodyBytes: Int = 1 << 20, maxQueryLength: Int = 100_000, requestTimeout: Duration = .seconds(30),
        json: JSONLimits = JSONLimits(), connections: ConnectionTimeouts = ConnectionTimeouts()
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxQueryLength = maxQueryLength
        self.requestTimeout = requestTimeout
        self.json = json
        self.connections = connections
    }
}

/// The HTTP face of AME: GraphQL over HTTP, health and readiness, metrics.
public enum AMEHTTPServer {
    /// The router with every route; used by `ame serve` and by the tests (in process or live).
    /// Every GraphQL request gets a request id (`X-Request-Id`, honoured when the client sends a
    /// sane one), one JSON log line and its metrics.
    public static func router(
        engine: GraphQLEngine, tenants: TenantResolver, limits: ServerLimits = ServerLimits(),
        metrics: PrometheusCollectorRegistry? = nil, cors: CORSPolicy? = nil, logger: Logger = Logger(label: "ame.http")
    ) -> Router<BasicRequestContext> {
        let router = Router()
        let handles = HTTPMetrics(factory: engine.metrics.factory)
        if let cors { router.add(middleware: CORSPolicyMiddleware(policy: cors)) }
        if let metrics {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
        }
        router.get("health") { _, _ in
            jsonResponse(.ok, ["status": "ok"])
        }
        router.get("ready") { _, _ in
            do {
                _ = try await engine.store.listTables()
                handles.readyChecks.ready.increment()
                return jsonResponse(.ok, ["status": "ready"])
            } catch {
                // What the readiness alerts count (the counter here, the log line on Lambda).
                handles.readyChecks.unavailable.increment()
                logger.warning("ready check failed", metadata: ["error": "\(error)"])
                return jsonResponse(.serviceUnavailable, ["status": "store unavailable"])
            }
        }
        // GraphQL over HTTP (the protocol's details are in HTTP/GraphQLOverHTTP.swift).
        router.post("graphql") { request, _ in
            await observed(request.headers, logger: logger, metrics: handles) { log in
                await post(request, engine: engine, tenants: tenants, limits: limits, log: log)
            }
        }
        router.get("graphql") { request, _ in
            let decoded = Result { () throws(AMEError) in
                try GraphQLOverHTTP.request(queryString: request.uri.query ?? "", limits: limits.json)
            }
            if case .success(nil) = decoded {
                return Response(
                    status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: GraphiQLPage.html)))
            }
            return await observed(request.headers, logger: logger, metrics: handles) { log in
                await get(decoded, headers: request.headers, engine: engine, tenants: tenants, limits: limits, log: log)
            }
        }
        for method in [HTTPRequest.Method.put, .delete, .patch, .options] {
            router.on("graphql", method: method) { request, _ in methodNotAllowed(request.method) }
        }
        return router
    }

    /// What the log line and the metrics of one request say, filled in as it is handled.
    final class RequestLog: Sendable {
        struct Fields {
            var tenant: String?
            var operation: String?
            var storeCalls = 0
            var cacheHits = 0
            var errors: [String] = []
            /// The causes of `INTERNAL` and `STORE_UNAVAILABLE` errors: logged, never answered.
            var causes: [String] = []
        }
        let fields = Mutex(Fields())
    }

    /// Runs a GraphQL request with its request id, span, log line and metrics.
    static func observed(
        _ headers: HTTPFields, logger: Logger, metrics: HTTPMetrics, _ body: (RequestLog) async -> Response
    ) async -> Response {
        let requestId = requestId(from: headers)
        let log = RequestLog()
        let start = ContinuousClock.now
        var response = await withSpan("POST /graphql", ofKind: .server) { span in
            span.attributes["ame.request_id"] = requestId
            return await body(log)
        }
        response.headers[requestIdField] = requestId
        let duration = ContinuousClock.now - start
        let fields = log.fields.withLock { $0 }
        let operation = fields.operation ?? "anonymous"
        // Operation names are the client's: the metrics label takes a bounded set of them.
        let label = operationLabels.label(for: operation)
        metrics.requestDurations[label].record(duration: duration)
        metrics.requests[HTTPMetrics.RequestLabels(operation: label, status: response.status.code)].increment()
        var metadata: Logger.Metadata = [
            "request_id": .string(requestId), "status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible(Self.milliseconds(duration)),
            "store_calls": .stringConvertible(fields.storeCalls), "operation": .string(operation),
        ]
        if let tenant = fields.tenant { metadata["tenant"] = .string(tenant) }
        if fields.cacheHits > 0 { metadata["cache_hits"] = .stringConvertible(fields.cacheHits) }
        if !fields.errors.isEmpty { metadata["errors"] = .array(fields.errors.map { .string($0) }) }
        logger.info("graphql request", metadata: metadata)
        if !fields.causes.isEmpty {
            // What went wrong inside, for the operator: the client was told only the error's code.
            logger.error(
                "graphql request failed",
                metadata: [
                    "request_id": .string(requestId), "errors": .array(fields.errors.map { .string($0) }),
                    "causes": .array(fields.causes.map { .string($0) }),
                ])
        }
        return response
    }

    static let requestIdField = HTTPField.Name("X-Request-Id")!

    /// The server's metric handles, made once per label set from the engine's backend (a router
    /// makes its own when it is built) and reused by every request.
    final class HTTPMetrics: Sendable {
        /// `GET /ready` answers by result (what the readiness alerts count).
        let readyChecks: (ready: Metrics.Counter, unavailable: Metrics.Counter)
        /// By operation label: ``operationLabels`` bounds them.
        let requestDurations: MetricHandles<String, Metrics.Timer>
        /// By operation label and status: statuses are the few the server answers with.
        let requests: MetricHandles<RequestLabels, Metrics.Counter>

        struct RequestLabels: Hashable, Sendable {
            var operation: String
            var status: Int
        }

        /// Makes the series known in advance (the readiness checks, anonymous operations' latency).
        init(factory: any MetricsFactory) {
            func readyCheck(_ result: String) -> Metrics.Counter {
                Metrics.Counter(label: "ame_ready_checks_total", dimensions: [("result", result)], factory: factory)
            }
            readyChecks = (readyCheck("ready"), readyCheck("unavailable"))
            requestDurations = MetricHandles(preparing: ["anonymous"]) {
                Metrics.Timer(label: "ame_request_duration_seconds", dimensions: [("operation", $0)], factory: factory)
            }
            requests = MetricHandles { labels in
                Metrics.Counter(
                    label: "ame_http_requests_total",
                    dimensions: [("operation", labels.operation), ("status", String(labels.status))], factory: factory)
            }
        }
    }

    static let operationLabels = OperationLabels(capacity: 200)

    /// The values of the `operation` metrics label: the first `capacity` distinct operation names
    /// (up to 64 characters) keep their own series, later ones share `other`. Without a bound, a
    /// client sending new operation names would grow the metrics registry, and the memory holding
    /// it, without end.
    package final class OperationLabels: Sendable {
        package let capacity: Int
        private let known = Mutex(Set<String>())

        package init(capacity: Int) { self.capacity = capacity }

        package func label(for operation: String) -> String {
            guard operation.utf8.count <= 64 else { return "other" }
            return known.withLock { known in
                if known.contains(operation) { return operation }
                guard known.count < capacity else { return "other" }
                known.insert(operation)
                return operation
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        // Microsecond precision is enough for a log line.
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }

    /// The client's request id when it is sane (1–128 visible ASCII characters), else a new one.
    static func requestId(from headers: HTTPFields) -> String {
        if let given = headers[requestIdField], (1...128).contains(given.utf8.count),
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return given
        }
        return UUID().uuidString.lowercased()
    }

    static func execute(
        _ request: GraphQLRequest, headers: HTTPFields, engine: GraphQLEngine, tenants: TenantResolver,
        limits: ServerLimits = ServerLimits(), log: RequestLog = RequestLog(),
        as mediaType: GraphQLOverHTTP.MediaType = .json
    ) async
        -> Response
    {
        await execute(headers: headers, engine: engine, tenants: tenants, limits: limits, log: log, as: mediaType) {
            request
        }
    }

    /// Runs the request `decode` makes, for the tenant of `headers`: the credential is checked
    /// first (a body is not parsed for a client without one), and decoding runs inside the
    /// request timeout.
    static func execute(
        headers: HTTPFields, engine: GraphQLEngine, tenants: TenantResolver, limits: ServerLimits, log: RequestLog,
        as mediaType: GraphQLOverHTTP.MediaType = .json,
        decode: @escaping @Sendable () throws(AMEError) -> GraphQLRequest
    ) async -> Response {
        let cost = ExecutionCost.none(maxComplexity: engine.limits.maxComplexity)
        let tenant: Tenant
        do {
            tenant = try await tenants.tenant(from: headers)
        } catch {
            return errorResponse(.unauthorized, error, cost: cost, as: mediaType)
        }
        log.fields.withLock { $0.tenant = tenant.partitionKey }
        let outcome = await within(limits.requestTimeout) { () -> Result<GraphQLResponse, AMEError> in
            let request: GraphQLRequest
            switch Result(catching: { () throws(AMEError) in try decode() }) {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            log.fields.withLock { $0.operation = request.operationName }
            guard request.query.utf8.count <= limits.maxQueryLength else {
                return .failure(
                    .limitExceeded(.queryBytes, actual: request.query.utf8.count, maximum: limits.maxQueryLength))
            }
            return .success(await engine.execute(request, tenant: tenant))
        }
        let response: GraphQLResponse
        switch outcome {
        case nil:
            log.fields.withLock { $0.errors = ["REQUEST_TIMEOUT"] }
            return errorResponse(
                .gatewayTimeout, .requestTimeout(seconds: Int(limits.requestTimeout.components.seconds)),
                cost: .none(maxComplexity: engine.limits(for: tenant).maxComplexity), as: mediaType)
        case .failure(let error)?:
            log.fields.withLock { $0.errors = [error.code] }
            let status: HTTPResponse.Status
            switch error {
            case .limitExceeded(.bodyBytes, _, _), .limitExceeded(.queryBytes, _, _): status = .contentTooLarge
            default: status = .badRequest
            }
            return errorResponse(
                status, error, cost: .none(maxComplexity: engine.limits(for: tenant).maxComplexity), as: mediaType)
        case .success(let executed)?:
            response = executed
        }
        log.fields.withLock {
            $0.operation = response.operationName ?? $0.operation
            $0.storeCalls = response.cost.storeCalls
            $0.cacheHits = response.cost.cacheHits
            $0.errors = response.errors.map(\.error.code)
            $0.causes = response.errors.compactMap(\.cause)
        }
        return Response(
            status: GraphQLOverHTTP.status(of: response, as: mediaType),
            headers: GraphQLOverHTTP.headers(of: response, as: mediaType),
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// The result of `work`, or `nil` if it takes longer than `timeout`. Past the timeout, or when
    /// the request's own task is cancelled (its client went away, the server is stopping), the
    /// work is cancelled: list reads, levels and retries check for it, so a request that has been
    /// answered stops using the CPU. A mutation that was committing may still commit.
    static func within<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        let waiter = Waiter<T?>()
        let running = RunningWork()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter.set(continuation)
                let task = Task {
                    let value = await work()
                    running.finish()
                    waiter.resume(returning: value)
                }
                // An event loop timer, cancelled (and freed) as soon as the work is done. A sleeping
                // task would stay allocated for the whole timeout even when cancelled: per request,
                // that is memory growing with the request rate.
                let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(timeout)) {
                    // The timeout's answer first: cancelled work can finish on another thread at
                    // once (with the error its cancellation caused) and must not be answered instead.
                    waiter.resume(returning: nil)
                    task.cancel()
                }
                running.start(task, timer: timer)
            }
        } onCancel: {
            running.cancel()
        }
    }

    /// The task and timer of one request's work, so either side can stop the other.
    final class RunningWork: Sendable {
        private struct State {
            var task: Task<Void, Never>?
            var timer: Scheduled<Void>?
            var finished = false
            var cancelled = false
        }
        private let state = Mutex(State())

        func start(_ task: Task<Void, Never>, timer: Scheduled<Void>) {
            let (finished, cancelled) = state.withLock { state in
                state.task = task
                state.timer = timer
                return (state.finished, state.cancelled)
            }
            if finished { timer.cancel() }
            if cancelled { task.cancel() }
        }

        func finish() {
            state.withLock { state in
                state.finished = true
                return state.timer
            }?.cancel()
        }

        func cancel() {
            state.withLock { state in
                state.cancelled = true
                return state.task
            }?.cancel()
        }
    }

    /// A continuation resumed by whichever of several tasks comes first.
    final class Waiter<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

        func set(_ continuation: CheckedContinuation<T, Never>) { self.continuation.withLock { $0 = continuation } }

        func resume(returning value: T) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    static func jsonResponse(
        _ status: HTTPResponse.Status, _ value: JSONValue, contentType: String = "application/json"
    ) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    /// A request refused before execution, with `extensions.cost` like every GraphQL answer
    /// (nothing was read).
    static func errorResponse(
        _ status: HTTPResponse.Status, _ error: AMEError, cost: ExecutionCost = .none(maxComplexity: 0),
        as mediaType: GraphQLOverHTTP.MediaType = .json
    ) -> Response {
        jsonResponse(
            status, ["errors": [GraphQLErrorPayload(error).json], "extensions": ["cost": cost.json]],
            contentType: mediaType.contentType)
    }
}
