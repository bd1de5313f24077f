import AMERuntime
import Foundation
import HTTPTypes
import NIOCore

/// An invocation's payload, as `ame lambda` reads it: an HTTP request that API Gateway or a
/// Function URL forwards, or a GraphQL request sent with `lambda:Invoke` directly.
enum LambdaEvent {
    case http(HTTPEvent)
    case direct(DirectInvocation)

    /// Reads an event, or says why it is none of the shapes served.
    static func parse(_ bytes: [UInt8]) throws(LambdaFunctionError) -> LambdaEvent {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes: bytes)
        } catch {
            throw LambdaFunctionError(type: "AME.InvalidEvent", message: "the event is not JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw LambdaFunctionError(type: "AME.InvalidEvent", message: "the event is not a JSON object")
        }
        let context = object["requestContext"]
        if object["version"]?.stringValue == "2.0", context?["http"]?["method"]?.stringValue != nil {
            return .http(try HTTPEvent(httpAPI: object))
        }
        if object["httpMethod"]?.stringValue != nil, context != nil {
            return .http(try HTTPEvent(restAPI: object))
        }
        if object["query"] != nil {
            return .direct(try DirectInvocation(object))
        }
        let keys = object.keys.prefix(10).map { "`\($0)`" }.joined(separator: ", ")
        throw LambdaFunctionError(
            type: "AME.UnknownEvent",
            message:
                "the event is neither an API Gateway (REST or HTTP API) or Function URL request nor a direct invocation `{query, variables, operationName}`; it has the keys \(keys.isEmpty ? "(none)" : keys)"
        )
    }
}

/// An HTTP request forwarded by API Gateway (REST API: payload 1.0; HTTP API: payload 2.0) or a
/// Function URL (payload 2.0), and the response shape it expects back.
struct HTTPEvent {
    enum Format {
        /// API Gateway REST API proxy integration (payload format 1.0).
        case restAPI
        /// API Gateway HTTP API and Function URLs (payload format 2.0).
        case httpAPI
    }

    var format: Format
    var method: HTTPRequest.Method
    /// The path and query, as the server's router takes them.
    var path: String
    var authority: String
    var headers: HTTPFields
    var body: [UInt8]
    /// `requestContext.authorizer`, when the route has an authorizer.
    var authorizer: JSONValue?

    init(httpAPI event: JSONObject) throws(LambdaFunctionError) {
        format = .httpAPI
        let context = event["requestContext"]
        method = try Self.method(context?["http"]?["method"]?.stringValue)
        var path = event["rawPath"]?.stringValue ?? context?["http"]?["path"]?.stringValue ?? "/"
        // A named stage's requests carry it in the path; the `$default` stage's do not.
        if let stage = context?["stage"]?.stringValue, stage != "$default", path.hasPrefix("/\(stage)/") {
            path.removeFirst(stage.utf8.count + 1)
        }
        if let query = event["rawQueryString"]?.stringValue, !query.isEmpty { path += "?" + query }
        self.path = path
        headers = HTTPFields()
        if case .object(let given)? = event["headers"] {
            for (name, value) in given.pairs { Self.add(name, value.stringValue, to: &headers) }
        }
        // Payload 2.0 moves the cookies out of the headers.
        let cookies = event["cookies"]?.arrayValue.compactMap(\.stringValue) ?? []
        if !cookies.isEmpty { Self.add("cookie", cookies.joined(separator: "; "), to: &headers) }
        authority = context?["domainName"]?.stringValue ?? headers[Self.hostField] ?? "lambda"
        body = try Self.body(event)
        authorizer = context?["authorizer"]
    }

    init(restAPI event: JSONObject) throws(LambdaFunctionError) {
        format = .restAPI
        let context = event["requestContext"]
        method = try Self.method(event["httpMethod"]?.stringValue)
        var path = event["path"]?.stringValue ?? "/"
        if let stage = context?["stage"]?.stringValue, path.hasPrefix("/\(stage)/") {
            path.removeFirst(stage.utf8.count + 1)
        }
        // Payload 1.0 gives the query decoded: encode it again for the router.
        var query: [String] = []
        if case .object(let parameters)? = event["multiValueQueryStringParameters"] {
            for (name, values) in parameters.pairs {
                for value in values.arrayValue.compactMap(\.stringValue) {
                    query.append(Self.encode(name) + "=" + Self.encode(value))
                }
            }
        } else if case .object(let parameters)? = event["queryStringParameters"] {
            for (name, value) in parameters.pairs {
                if let value = value.stringValue { query.append(Self.encode(name) + "=" + Self.encode(value)) }
            }
        }
        if !query.isEmpty { path += "?" + query.joined(separator: "&") }
        self.path = path
        headers = HTTPFields()
        if case .object(let given)? = event["multiValueHeaders"] {
            for (name, values) in given.pairs {
                for value in values.arrayValue { Self.add(name, value.stringValue, to: &headers) }
            }
        } else if case .object(let given)? = event["headers"] {
            for (name, value) in given.pairs { Self.add(name, value.stringValue, to: &headers) }
        }
        authority = context?["domainName"]?.stringValue ?? headers[Self.hostField] ?? "lambda"
        body = try Self.body(event)
        authorizer = context?["authorizer"]
    }

    static let hostField = HTTPField.Name("Host")!

    static func method(_ text: String?) throws(LambdaFunctionError) -> HTTPRequest.Method {
        guard let text, let method = HTTPRequest.Method(text) else {
            throw LambdaFunctionError(
                type: "AME.InvalidEvent", message: "the event's HTTP method `\(text ?? "")` is not a method")
        }
        return method
    }

    static func add(_ name: String, _ value: String?, to headers: inout HTTPFields) {
        guard let value, let field = HTTPField.Name(name) else { return }
        headers.append(HTTPField(name: field, value: value))
    }

    static func body(_ event: JSONObject) throws(LambdaFunctionError) -> [UInt8] {
        guard let text = event["body"]?.stringValue else { return [] }
        guard event["isBase64Encoded"] == .bool(true) else { return Array(text.utf8) }
        guard let data = Data(base64Encoded: text) else {
            throw LambdaFunctionError(
                type: "AME.InvalidEvent", message: "the event says its body is base64, but it is not valid base64")
        }
        return Array(data)
    }

    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// The request the server's router takes for this event.
    func request(requestId: String) -> (head: HTTPRequest, body: [UInt8]) {
        var headers = headers
        // The invocation's id names the request in the logs unless the client sent its own.
        if headers[AMEHTTPServer.requestIdField] == nil { headers[AMEHTTPServer.requestIdField] = requestId }
        return (
            HTTPRequest(method: method, scheme: "https", authority: authority, path: path, headerFields: headers),
            body
        )
    }

    /// The server's response in the shape this event's source expects.
    func payload(_ response: CollectedResponse) -> JSONValue {
        let (body, isBase64) = Self.encodeBody(response)
        var object: JSONObject = ["statusCode": .int(Int(response.status.code))]
        var single = JSONObject()
        var multiple: [(String, [String])] = []
        var cookies: [String] = []
        for field in response.headers {
            let name = field.name.rawName
            if format == .httpAPI, field.name == .setCookie {
                cookies.append(field.value)
                continue
            }
            if let index = multiple.firstIndex(where: { $0.0 == name }) {
                multiple[index].1.append(field.value)
            } else {
                multiple.append((name, [field.value]))
            }
        }
        for (name, values) in multiple { single[name] = .string(values.joined(separator: ", ")) }
        object["headers"] = .object(single)
        switch format {
        case .restAPI:
            object["multiValueHeaders"] = .object(
                JSONObject(multiple.map { ($0.0, .array($0.1.map(JSONValue.string))) }))
        case .httpAPI:
            if !cookies.isEmpty { object["cookies"] = .array(cookies.map(JSONValue.string)) }
        }
        object["body"] = .string(body)
        object["isBase64Encoded"] = .bool(isBase64)
        return .object(object)
    }

    /// Text bodies (JSON, HTML, the metrics) travel as text; anything else as base64.
    static func encodeBody(_ response: CollectedResponse) -> (String, Bool) {
        let type = response.headers[.contentType]?.lowercased() ?? ""
        let textual =
            type.hasPrefix("text/") || type.contains("json") || type.contains("xml") || type.contains("javascript")
        if response.body.isEmpty || textual, let text = String(validating: response.body, as: UTF8.self) {
            return (text, false)
        }
        return (Data(response.body).base64EncodedString(), true)
    }
}

/// A GraphQL request sent straight to the function (`aws lambda invoke`, another function):
/// `{query, variables, operationName}`, with the tenant as `endpoint_id` / `part_id` when the
/// caller is trusted (`AME_LAMBDA_TRUST_INVOKER`), or a credential as `authorization`.
struct DirectInvocation {
    var request: JSONObject
    var endpointId: String?
    var partId: String?
    var authorization: String?

    init(_ event: JSONObject) throws(LambdaFunctionError) {
        request = JSONObject()
        for key in ["query", "variables", "operationName"] {
            if let value = event[key] { request[key] = value }
        }
        func text(_ key: String) throws(LambdaFunctionError) -> String? {
            switch event[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default:
                throw LambdaFunctionError(type: "AME.InvalidEvent", message: "`\(key)` must be a string")
            }
        }
        endpointId = try text("endpoint_id")
        partId = try text("part_id")
        authorization = try text("authorization")
    }

    /// The server's request for it: `POST /graphql` with the GraphQL request as the body.
    func request(requestId: String) -> (head: HTTPRequest, body: [UInt8]) {
        var headers: HTTPFields = [.contentType: "application/json", AMEHTTPServer.requestIdField: requestId]
        if let authorization { headers[.authorization] = authorization }
        return (
            HTTPRequest(method: .post, scheme: "https", authority: "lambda", path: "/graphql", headerFields: headers),
            Array(JSONValue.object(request).jsonText.utf8)
        )
    }

    /// A direct invocation is answered with the GraphQL response itself.
    static func payload(_ response: CollectedResponse) -> [UInt8] {
        if response.isRouterAnswer { return response.body }
        // Only an unexpected failure has no GraphQL body (the server answers it with an empty 500).
        return Array(JSONValue.object(["errors": [GraphQLErrorPayload(.internalError).json]]).jsonText.utf8)
    }
}

/// A response of the server's router with its body read.
struct CollectedResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: [UInt8]
    /// Whether the router answered: every answer to a POST of `/graphql` is a GraphQL response body, so a
    /// direct invocation passes it on as it is (it is never parsed again to find out).
    var isRouterAnswer = true

    /// What `ame serve` answers when the router throws, or its body cannot be read: an empty 500.
    static let unexpectedFailure = CollectedResponse(
        status: .internalServerError, headers: [.server: "ame"], body: [], isRouterAnswer: false)
}
