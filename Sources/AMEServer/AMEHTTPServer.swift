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
/// `AME_REQUEST_TIMEOUT`).
public struct ServerLimits: Sendable {
    public var maxBodyBytes: Int
    public var maxQueryLength: Int
    public var requestTimeout: Duration

    public init(maxBodyBytes: Int = 1 << 20, maxQueryLength: Int = 100_000, requestTimeout: Duration = .seconds(30)) {
        self.maxBodyBytes = maxBodyBytes
        self.maxQueryLength = maxQueryLength
        self.requestTimeout = requestTimeout
    }
}

/// The HTTP face of AME: GraphQL over HTTP, health and readiness, metrics.
public enum AMEHTTPServer {
    /// The router with every route; used by `ame serve` and by the tests (in process or live).
    /// Every GraphQL request gets a request id (`X-Request-Id`, honoured when the client sends a
    /// sane one), one JSON log line and its metrics.
    public static func router(
        engine: GraphQLEngine, tenants: TenantResolver, limits: ServerLimits = ServerLimits(),
        metrics: PrometheusCollectorRegistry? = nil, logger: Logger = Logger(label: "ame.http")
    ) -> Router<BasicRequestContext> {
        let router = Router()
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
                Counter(label: "ame_ready_checks_total", dimensions: [("result", "ready")]).increment()
                return jsonResponse(.ok, ["status": "ready"])
            } catch {
                // What the readiness alerts count (the counter here, the log line on Lambda).
                Counter(label: "ame_ready_checks_total", dimensions: [("result", "unavailable")]).increment()
                logger.warning("ready check failed", metadata: ["error": "\(error)"])
                return jsonResponse(.serviceUnavailable, ["status": "store unavailable"])
            }
        }
        router.post("graphql") { request, _ in
            await observed(request.headers, logger: logger) { log in
                var request = request
                let body: ByteBuffer
                do {
                    body = try await request.collectBody(upTo: limits.maxBodyBytes)
                } catch {
                    return errorResponse(
                        .contentTooLarge,
                        .badUserInput(
                            "the request body exceeds \(limits.maxBodyBytes) bytes (AME_MAX_BODY_BYTES)", field: nil))
                }
                let graphQLRequest: GraphQLRequest
                switch Result(catching: { () throws(AMEError) in try parseBody(Array(buffer: body)) }) {
                case .success(let parsed): graphQLRequest = parsed
                case .failure(let error): return errorResponse(.badRequest, error)
                }
                return await execute(
                    graphQLRequest, headers: request.headers, engine: engine, tenants: tenants, limits: limits, log: log
                )
            }
        }
        router.get("graphql") { request, _ in
            let parameters = request.uri.queryParameters
            guard let query = parameters.get("query") else {
                return Response(
                    status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: GraphiQLPage.html)))
            }
            return await observed(request.headers, logger: logger) { log in
                var variables = JSONObject()
                if let text = parameters.get("variables") {
                    guard case .object(let object)? = try? JSONValue.parse(text) else {
                        return errorResponse(
                            .badRequest, .badUserInput("`variables` must be a JSON object", field: "variables"))
                    }
                    variables = object
                }
                // GraphQL over HTTP: GET never changes anything; a mutation sent with GET gets 405.
                let graphQLRequest = GraphQLRequest(
                    query: String(query), variables: variables, operationName: parameters.get("operationName"),
                    allowsMutations: false)
                return await execute(
                    graphQLRequest, headers: request.headers, engine: engine, tenants: tenants, limits: limits, log: log
                )
            }
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
        }
        let fields = Mutex(Fields())
    }

    /// Runs a GraphQL request with its request id, span, log line and metrics.
    static func observed(
        _ headers: HTTPFields, logger: Logger, _ body: (RequestLog) async -> Response
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
        Metrics.Timer(label: "ame_request_duration_seconds", dimensions: [("operation", label)])
            .record(duration: duration)
        Counter(
            label: "ame_http_requests_total",
            dimensions: [("operation", label), ("status", String(response.status.code))]
        ).increment()
        var metadata: Logger.Metadata = [
            "request_id": .string(requestId), "status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible(Self.milliseconds(duration)),
            "store_calls": .stringConvertible(fields.storeCalls), "operation": .string(operation),
        ]
        if let tenant = fields.tenant { metadata["tenant"] = .string(tenant) }
        if fields.cacheHits > 0 { metadata["cache_hits"] = .stringConvertible(fields.cacheHits) }
        if !fields.errors.isEmpty { metadata["errors"] = .array(fields.errors.map { .string($0) }) }
        logger.info("graphql request", metadata: metadata)
        return response
    }

    static let requestIdField = HTTPField.Name("X-Request-Id")!

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
        limits: ServerLimits = ServerLimits(), log: RequestLog = RequestLog()
    ) async
        -> Response
    {
        log.fields.withLock { $0.operation = request.operationName }
        guard request.query.utf8.count <= limits.maxQueryLength else {
            return errorResponse(
                .contentTooLarge,
                .badUserInput(
                    "the query is \(request.query.utf8.count) bytes; the limit is \(limits.maxQueryLength) (AME_MAX_QUERY_LENGTH)",
                    field: "query"))
        }
        let tenant: Tenant
        do {
            tenant = try await tenants.tenant(from: headers)
        } catch {
            return errorResponse(.unauthorized, error)
        }
        log.fields.withLock { $0.tenant = tenant.partitionKey }
        guard let response = await within(limits.requestTimeout, { await engine.execute(request, tenant: tenant) })
        else {
            log.fields.withLock { $0.errors = ["REQUEST_TIMEOUT"] }
            return errorResponse(
                .gatewayTimeout, .requestTimeout(seconds: Int(limits.requestTimeout.components.seconds)))
        }
        log.fields.withLock {
            $0.operation = response.operationName ?? $0.operation
            $0.storeCalls = response.cost.storeCalls
            $0.cacheHits = response.cost.cacheHits
            $0.errors = response.errors.map(\.error.code)
        }
        // GraphQL over HTTP: a request that could not be executed at all is a 400.
        let status: HTTPResponse.Status =
            response.mutationRefused ? .methodNotAllowed : response.isRequestError ? .badRequest : .ok
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// The result of `work`, or `nil` if it takes longer than `timeout`. The work is not cancelled
    /// (a mutation may be committing): it finishes on its own and its result is dropped.
    static func within<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        let waiter = Waiter<T?>()
        return await withCheckedContinuation { continuation in
            waiter.set(continuation)
            // An event loop timer, cancelled (and freed) as soon as the work is done. A sleeping
            // task would stay allocated for the whole timeout even when cancelled: per request,
            // that is memory growing with the request rate.
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(timeout)) {
                waiter.resume(returning: nil)
            }
            Task {
                let value = await work()
                timer.cancel()
                waiter.resume(returning: value)
            }
        }
    }

    /// A continuation resumed by whichever of several tasks comes first.
    final class Waiter<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

        func set(_ continuation: CheckedContinuation<T, Never>) { self.continuation.withLock { $0 = continuation } }

        func resume(returning value: T) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    static func parseBody(_ bytes: [UInt8]) throws(AMEError) -> GraphQLRequest {
        guard case .object(let object)? = try? JSONValue.parse(bytes: bytes) else {
            throw AMEError.badUserInput("the body must be a JSON object with `query`", field: nil)
        }
        guard let query = object["query"]?.stringValue else {
            throw AMEError.badUserInput("`query` must be a string", field: "query")
        }
        var variables = JSONObject()
        switch object["variables"] {
        case nil, .null?: break
        case .object(let value)?: variables = value
        default: throw AMEError.badUserInput("`variables` must be a JSON object", field: "variables")
        }
        return GraphQLRequest(query: query, variables: variables, operationName: object["operationName"]?.stringValue)
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    static func errorResponse(_ status: HTTPResponse.Status, _ error: AMEError) -> Response {
        jsonResponse(status, ["errors": [GraphQLErrorPayload(error).json]])
    }
}
