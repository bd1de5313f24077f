import AMERuntime
import HTTPTypes
import Hummingbird
import NIOCore

extension AMEHTTPServer {
    /// `POST /graphql`: the body is read up to `AME_MAX_BODY_BYTES`; the credential is checked
    /// from the headers before the body is parsed (a client without one never costs a parse),
    /// and the parse, with the JSON bounds, runs inside the request timeout.
    static func answerPost(
        _ request: Request, engine: GraphQLEngine, tenants: TenantResolver, limits: ServerLimits, log: RequestLog
    ) async -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return errorResponse(
                .contentTooLarge, .limitExceeded(.bodyBytes, actual: nil, maximum: limits.maxBodyBytes),
                cost: .none(maxComplexity: engine.limits.maxComplexity))
        } catch {
            return errorResponse(
                .badRequest,
                .badUserInput(
                    "the request body could not be read: it ended early or its chunked encoding is malformed",
                    field: nil),
                cost: .none(maxComplexity: engine.limits.maxComplexity))
        }
        let bytes = Array(buffer: body)
        let json = limits.json
        return await execute(headers: request.headers, engine: engine, tenants: tenants, limits: limits, log: log) {
            () throws(AMEError) in
            try parseBody(bytes, limits: json)
        }
    }

    /// The channel handlers `ame serve` adds to every HTTP/1 connection: the slow-client timeouts.
    public static func connectionHandlers(_ limits: ServerLimits) -> [any RemovableChannelHandler] {
        [SlowClientHandler(timeouts: limits.connections)]
    }
}
