import AMERuntime
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The Lambda host of the server: every event becomes a request for the same router that
/// `ame serve` runs (``AMEHTTPServer/router(engine:tenants:limits:metrics:logger:)``), run in
/// process, and its response goes back in the event's shape. Whatever the server answers, a
/// Lambda invocation answers the same. Used by `ame lambda`.
public enum AMELambda {
    /// What only the Lambda host decides (`AME_LAMBDA_*`).
    public struct Options: Sendable {
        /// The authorizer claims that name the tenant of HTTP events; `nil`: claims are not trusted.
        public var trustedClaims: TrustedClaims?
        /// Whether a direct invocation's `endpoint_id` / `part_id` are trusted: IAM already
        /// decided who may invoke the function.
        public var trustsInvoker: Bool
        /// How long before Lambda's deadline the answer goes out.
        public var deadlineMargin: Duration
        /// The largest event read.
        public var maxEventBytes: Int

        public static let defaultDeadlineMarginMilliseconds = 500

        public init(
            trustedClaims: TrustedClaims? = nil, trustsInvoker: Bool = false,
            deadlineMargin: Duration = .milliseconds(defaultDeadlineMarginMilliseconds), maxEventBytes: Int = 6 << 20
        ) {
            self.trustedClaims = trustedClaims
            self.trustsInvoker = trustsInvoker
            self.deadlineMargin = deadlineMargin
            self.maxEventBytes = maxEventBytes
        }
    }

    /// `AME_LAMBDA_TRUSTED_CLAIMS`: `ENDPOINT_CLAIM[,PART_CLAIM]`, read from the event's
    /// `requestContext.authorizer` (a JWT authorizer's `jwt.claims`, a Lambda authorizer's
    /// `lambda` context, a REST API authorizer's `claims` or its flat context).
    public struct TrustedClaims: Sendable, Equatable {
        public var endpoint: String
        public var part: String?

        public init(setting: String) throws(LambdaFunctionError) {
            let names = setting.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard (1...2).contains(names.count), names.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 128 }) else {
                throw LambdaFunctionError(
                    type: "AME.InvalidSettings",
                    message:
                        "AME_LAMBDA_TRUSTED_CLAIMS: `\(setting)` is not ENDPOINT_CLAIM[,PART_CLAIM] (e.g. endpoint_id,part_id)"
                )
            }
            endpoint = names[0]
            part = names.count == 2 ? names[1] : nil
        }

        /// The tenant the authorizer vouches for; `nil` when the event has no such claim.
        func tenant(from authorizer: JSONValue?) throws(AMEError) -> Tenant? {
            guard let authorizer else { return nil }
            for claims in [
                authorizer["jwt"]?["claims"], authorizer["lambda"], authorizer["claims"], authorizer,
            ] {
                guard let claims, let endpointId = Self.text(claims[endpoint]) else { continue }
                let partId = part.flatMap { Self.text(claims[$0]) } ?? "default"
                return try TenantResolver.tenant(endpointId, partId)
            }
            return nil
        }

        static func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let text)?: text
            case .int(let number)?: String(number)
            default: nil
            }
        }
    }

    /// Turns one invocation into the payload to answer it with.
    public final class Handler: Sendable {
        let responder: RouterResponder<BasicRequestContext>
        let options: Options
        let logger: Logger
        /// Requests come from events, not from a connection: the request context keeps a channel
        /// that nothing on the GraphQL path uses.
        let channel: EmbeddedChannel

        public init(
            engine: GraphQLEngine, tenants: TenantResolver, limits: ServerLimits, metrics: PrometheusCollectorRegistry?,
            options: Options, logger: Logger = Logger(label: "ame.lambda")
        ) {
            responder = AMEHTTPServer.router(engine: engine, tenants: tenants, limits: limits, metrics: metrics)
                .buildResponder()
            self.options = options
            self.logger = logger
            channel = EmbeddedChannel()
        }

        /// The payload that answers `invocation`, or the invocation error to report.
        public func handle(_ invocation: LambdaInvocation) async -> Result<[UInt8], LambdaFunctionError> {
            guard let bytes = invocation.event else {
                return .failure(
                    LambdaFunctionError(
                        type: "AME.EventTooLarge",
                        message:
                            "the event is larger than \(options.maxEventBytes) bytes (AME_LAMBDA_MAX_EVENT_BYTES)"))
            }
            let event: LambdaEvent
            do {
                event = try LambdaEvent.parse(bytes)
            } catch {
                return .failure(error)
            }
            let budget = invocation.remaining() - options.deadlineMargin
            switch event {
            case .http(let http):
                let tenancy: TenantResolver.HostTenancy
                do {
                    tenancy =
                        try options.trustedClaims?.tenant(from: http.authorizer).map { .established($0) }
                        ?? .credentialRequired
                } catch {
                    return .success(Array(http.payload(await Self.error(.unauthorized, error)).jsonText.utf8))
                }
                let response = await respond(
                    http.request(requestId: invocation.requestId), tenancy: tenancy, budget: budget)
                return .success(Array(http.payload(response).jsonText.utf8))
            case .direct(let direct):
                var tenancy = TenantResolver.HostTenancy.credentialRequired
                if options.trustsInvoker {
                    guard let endpointId = direct.endpointId else {
                        return .success(
                            DirectInvocation.payload(
                                await Self.error(
                                    .unauthorized,
                                    .unauthenticated(
                                        "a direct invocation names its tenant with `endpoint_id` (and optionally `part_id`)"
                                    ))))
                    }
                    do {
                        tenancy = .established(try TenantResolver.tenant(endpointId, direct.partId ?? "default"))
                    } catch {
                        return .success(DirectInvocation.payload(await Self.error(.unauthorized, error)))
                    }
                } else if direct.endpointId != nil || direct.partId != nil {
                    return .success(
                        DirectInvocation.payload(
                            await Self.error(
                                .unauthorized,
                                .unauthenticated(
                                    "`endpoint_id` and `part_id` of a direct invocation are trusted only with AME_LAMBDA_TRUST_INVOKER=true; send `authorization` instead"
                                ))))
                }
                let response = await respond(
                    direct.request(requestId: invocation.requestId), tenancy: tenancy, budget: budget)
                return .success(DirectInvocation.payload(response))
            }
        }

        /// The router's response, or a `REQUEST_TIMEOUT` answer when the invocation's time runs out.
        func respond(
            _ request: (head: HTTPRequest, body: [UInt8]), tenancy: TenantResolver.HostTenancy, budget: Duration
        ) async -> CollectedResponse {
            let timeout = await Self.error(
                .gatewayTimeout, .requestTimeout(seconds: max(1, Int(budget.components.seconds))),
                requestId: request.head.headerFields[AMEHTTPServer.requestIdField])
            guard budget > .zero else {
                logger.warning("invocation answered at its deadline: no time was left for it")
                return timeout
            }
            let responder = responder
            let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            let answer = await AMEHTTPServer.within(budget) {
                await TenantResolver.$hostTenancy.withValue(tenancy) {
                    await Self.route(request, responder: responder, context: context)
                }
            }
            guard let answer else {
                logger.warning("invocation answered at its deadline; its work goes on and its result is dropped")
                return timeout
            }
            return answer
        }

        /// What `ame serve` answers: the route's response, an empty 500 for an unexpected error.
        static func route(
            _ request: (head: HTTPRequest, body: [UInt8]), responder: RouterResponder<BasicRequestContext>,
            context: BasicRequestContext
        ) async -> CollectedResponse {
            var head = request.head
            head.headerFields[.contentLength] = String(request.body.count)
            let hummingbirdRequest = Request(
                head: head, body: RequestBody(buffer: ByteBuffer(bytes: request.body)))
            do {
                return await collect(try await responder.respond(to: hummingbirdRequest, context: context))
            } catch {
                return .unexpectedFailure
            }
        }

        /// The server's answer for `error`, as `ame serve` renders it.
        static func error(
            _ status: HTTPResponse.Status, _ error: AMEError, requestId: String? = nil
        ) async
            -> CollectedResponse
        {
            var response = AMEHTTPServer.errorResponse(status, error)
            if let requestId { response.headers[AMEHTTPServer.requestIdField] = requestId }
            return await collect(response)
        }

        /// The response with its body read, and the server's name as `ame serve` sends it.
        static func collect(_ response: Response) async -> CollectedResponse {
            var headers = response.headers
            headers[.server] = "ame"
            let sink = BodySink()
            do {
                try await response.body.write(BodyWriter(sink: sink))
            } catch {
                return .unexpectedFailure
            }
            return CollectedResponse(status: response.status, headers: headers, body: sink.bytes.withLock { $0 })
        }
    }

    /// Serves invocations one after another until the Runtime API itself fails. A failed
    /// invocation is reported (`invocation/{id}/error`) and the next one is served.
    public static func run(handler: Handler, runtime: LambdaRuntimeClient, logger: Logger) async throws {
        while true {
            let invocation = try await runtime.next()
            // The X-Ray trace of this invocation, where AWS SDKs look for it.
            if let traceId = invocation.traceId {
                setenv("_X_AMZN_TRACE_ID", traceId, 1)
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            let id = invocation.requestId
            switch await handler.handle(invocation) {
            case .success(let payload):
                switch try await runtime.respond(id, body: payload) {
                case .accepted: break
                case .payloadTooLarge:
                    let error = LambdaFunctionError(
                        type: "Function.ResponseSizeTooLarge",
                        message: "the response is \(payload.count) bytes, more than Lambda accepts")
                    logger.warning("invocation failed", metadata: ["request_id": "\(id)", "error": "\(error.message)"])
                    _ = try await runtime.fail(id, error)
                case .refused(let reason):
                    logger.error(
                        "the Runtime API refused a response", metadata: ["request_id": "\(id)", "reason": "\(reason)"])
                }
            case .failure(let error):
                logger.warning(
                    "invocation failed",
                    metadata: ["request_id": "\(id)", "error_type": "\(error.type)", "error": "\(error.message)"])
                if case .refused(let reason) = try await runtime.fail(id, error) {
                    logger.error(
                        "the Runtime API refused an error", metadata: ["request_id": "\(id)", "reason": "\(reason)"])
                }
            }
        }
    }
}

/// Collects a response body written by the router.
final class BodySink: Sendable {
    let bytes = Mutex<[UInt8]>([])
}

struct BodyWriter: ResponseBodyWriter {
    let sink: BodySink

    mutating func write(_ buffer: ByteBuffer) async throws {
        sink.bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
