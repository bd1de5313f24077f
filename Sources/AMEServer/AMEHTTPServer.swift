import AMERuntime
import Hummingbird
import NIOCore

/// The HTTP face of AME: GraphQL over HTTP, health and readiness.
public enum AMEHTTPServer {
    /// Largest accepted request body.
    public static let maxBodyBytes = 1 << 20

    /// The router with every route; used by `ame serve` and by the tests (in process or live).
    public static func router(engine: GraphQLEngine, tenants: TenantResolver) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ in
            jsonResponse(.ok, ["status": "ok"])
        }
        router.get("ready") { _, _ in
            do {
                _ = try await engine.store.listTables()
                return jsonResponse(.ok, ["status": "ready"])
            } catch {
                return jsonResponse(.serviceUnavailable, ["status": "store unavailable"])
            }
        }
        router.post("graphql") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                return errorResponse(
                    .contentTooLarge, .badUserInput("the request body exceeds \(maxBodyBytes) bytes", field: nil))
            }
            let graphQLRequest: GraphQLRequest
            switch Result(catching: { () throws(AMEError) in try parseBody(Array(buffer: body)) }) {
            case .success(let parsed): graphQLRequest = parsed
            case .failure(let error): return errorResponse(.badRequest, error)
            }
            return await execute(graphQLRequest, headers: request.headers, engine: engine, tenants: tenants)
        }
        router.get("graphql") { request, _ in
            let parameters = request.uri.queryParameters
            guard let query = parameters.get("query") else {
                return Response(
                    status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: GraphiQLPage.html)))
            }
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
                query: query, variables: variables, operationName: parameters.get("operationName"),
                allowsMutations: false)
            return await execute(graphQLRequest, headers: request.headers, engine: engine, tenants: tenants)
        }
        return router
    }

    static func execute(
        _ request: GraphQLRequest, headers: HTTPFields, engine: GraphQLEngine, tenants: TenantResolver
    ) async
        -> Response
    {
        let tenant: Tenant
        do {
            tenant = try await tenants.tenant(from: headers)
        } catch {
            return errorResponse(.unauthorized, error)
        }
        let response = await engine.execute(request, tenant: tenant)
        // GraphQL over HTTP: a request that could not be executed at all is a 400.
        let status: HTTPResponse.Status =
            response.mutationRefused ? .methodNotAllowed : response.isRequestError ? .badRequest : .ok
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
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
