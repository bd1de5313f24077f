import AMERuntime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The GraphQL-over-HTTP protocol (the GraphQL over HTTP draft): how a request is read from a
/// GET query string or a POST body, which media type answers it, and with which status.
enum GraphQLOverHTTP {
    /// The methods `/graphql` answers (`Allow` of a 405).
    static let allowedMethods = "GET, POST"

    /// The media type of a response, chosen from the request's `Accept`.
    enum MediaType: Equatable {
        /// `application/graphql-response+json`: status codes say whether the request ran.
        case graphQLResponse
        /// `application/json`: 200 for every well-formed request, for legacy clients.
        case json

        var contentType: String {
            switch self {
            case .graphQLResponse: "application/graphql-response+json; charset=utf-8"
            case .json: "application/json; charset=utf-8"
            }
        }

        /// The supported type the client prefers: the highest `q`, the first listed among equals;
        /// `*/*` and `application/*` get `application/graphql-response+json`, and so does a request
        /// without `Accept` (the spec's default since 2025). `nil` when the client accepts neither
        /// (406).
        static func negotiate(_ accept: String?) -> MediaType? {
            guard let accept, !accept.allSatisfy({ $0 == " " || $0 == "\t" }) else { return .graphQLResponse }
            var best: (type: MediaType, quality: Double)?
            for range in accept.split(separator: ",") {
                let parts = range.split(separator: ";").map { $0.trimmingASCIISpaces().lowercased() }
                guard let name = parts.first else { continue }
                var quality = 1.0
                var charset: String?
                for parameter in parts.dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingASCIISpaces() }
                    guard pair.count == 2 else { continue }
                    if pair[0] == "q" { quality = Double(pair[1]) ?? 0 }
                    if pair[0] == "charset" { charset = pair[1].trimmingCharacters(in: ["\""]) }
                }
                // Only UTF-8 is written.
                guard quality > 0, charset.map({ $0 == "utf-8" || $0 == "utf8" }) ?? true else { continue }
                let type: MediaType
                switch name {
                case "application/graphql-response+json", "application/*", "*/*": type = .graphQLResponse
                case "application/json": type = .json
                default: continue
                }
                if best == nil || quality > best!.quality { best = (type, quality) }
            }
            return best?.type
        }
    }

    /// The status of an executed (or refused) request, by media type. With
    /// `application/graphql-response+json`, a request that did not run (parse, validation,
    /// operation, variables, limits) is a 400; with `application/json` it is a 200, since the
    /// client cannot trust a non-2xx answer to come from the server. A rate-limited request is a
    /// 429 with either: HTTP clients and proxies back off on it without reading the body.
    static func status(of response: GraphQLResponse, as mediaType: MediaType) -> HTTPResponse.Status {
        switch response.outcome {
        case .executed: .ok
        case .mutationRefused: .methodNotAllowed
        case .requestError: mediaType == .json ? .ok : .badRequest
        case .rateLimited: .tooManyRequests
        }
    }

    /// The headers of an executed (or refused) request's response: its media type, and
    /// `Retry-After` (whole seconds, at least 1) when it was rate limited.
    static func headers(of response: GraphQLResponse, as mediaType: MediaType) -> HTTPFields {
        var headers: HTTPFields = [.contentType: mediaType.contentType]
        if case .rateLimited(let seconds) = response.outcome { headers[.retryAfter] = String(max(1, seconds)) }
        return headers
    }

    /// A failure to read the HTTP request itself: its status and the error the body shows.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var error: AMEError
    }

    /// Checks a POST's `Content-Type`: only `application/json` (UTF-8) is read. Anything else,
    /// `text/plain` included (a CORS "simple request" a page on any origin can send without a
    /// preflight), is refused with 415 before the body is read.
    static func checkContentType(_ value: String?) throws(Refusal) {
        let parts = (value ?? "").split(separator: ";").map { $0.trimmingASCIISpaces().lowercased() }
        let unsupported = Refusal(
            status: .unsupportedMediaType,
            error: .unsupportedMediaType(
                "POST bodies must be `Content-Type: application/json` (UTF-8); got "
                    + (value.map { "`\($0)`" } ?? "none")))
        guard parts.first == "application/json" else { throw unsupported }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingASCIISpaces() }
            if pair.count == 2, pair[0] == "charset",
                !["utf-8", "utf8"].contains(pair[1].trimmingCharacters(in: ["\""]))
            {
                throw unsupported
            }
        }
    }

    /// A POST body: a JSON object with `query`, and optionally `operationName`, `variables` and
    /// `extensions` (`null` is the same as absent). `query` may be left out when
    /// `extensions.persistedQuery` names a persisted operation.
    static func request(body bytes: [UInt8], limits: JSONLimits = JSONLimits()) throws(AMEError) -> GraphQLRequest {
        guard case .object(let object) = try json(bytes, limits: limits) else {
            throw AMEError.badUserInput("the body must be a JSON object with `query`", field: nil)
        }
        return try request(
            query: object["query"], operationName: object["operationName"], variables: object["variables"],
            extensions: object["extensions"], allowsMutations: true)
    }

    /// A GET's query string (`application/x-www-form-urlencoded`), or `nil` when it has neither
    /// `query` nor `extensions` (a browser asking for the console page).
    static func request(queryString: String, limits: JSONLimits = JSONLimits()) throws(AMEError) -> GraphQLRequest? {
        let parameters = formParameters(queryString)
        guard parameters["query"] != nil || parameters["extensions"] != nil else { return nil }
        func json(_ name: String) throws(AMEError) -> JSONValue? {
            guard let text = parameters[name] else { return nil }
            do {
                return try Self.json(Array(text.utf8), limits: limits)
            } catch .badUserInput {
                throw AMEError.badUserInput("`\(name)` must be JSON text", field: name)
            }
        }
        // GET never changes anything: a mutation sent with GET is refused with 405.
        return try request(
            query: parameters["query"].map(JSONValue.string),
            operationName: parameters["operationName"].map(JSONValue.string),
            variables: try json("variables"), extensions: try json("extensions"), allowsMutations: false)
    }

    /// JSON text within `limits`: a bound exceeded is that limit's error, anything else that is not
    /// JSON is `BAD_USER_INPUT`.
    static func json(_ bytes: [UInt8], limits: JSONLimits) throws(AMEError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes: bytes, limits: limits)
        } catch {
            if let limit = error.limit {
                let maximum =
                    switch limit {
                    case .jsonDepth: limits.maxDepth
                    case .jsonKeys: limits.maxKeys
                    default: limits.maxStringBytes
                    }
                throw AMEError.limitExceeded(limit, actual: nil, maximum: maximum)
            }
            throw AMEError.badUserInput("the body is not valid JSON: \(error.description)", field: nil)
        }
    }

    private static func request(
        query: JSONValue?, operationName: JSONValue?, variables: JSONValue?, extensions: JSONValue?,
        allowsMutations: Bool
    ) throws(AMEError) -> GraphQLRequest {
        var extensionsObject = JSONObject()
        switch extensions {
        case nil, .null?: break
        case .object(let value)?: extensionsObject = value
        default: throw AMEError.badUserInput("`extensions` must be a JSON object", field: "extensions")
        }
        let text: String
        switch query {
        case .string(let value)?: text = value
        // Without `query`, the hash of a persisted operation names the document.
        case nil where extensionsObject["persistedQuery"] != nil,
            .null? where extensionsObject["persistedQuery"] != nil:
            text = ""
        default: throw AMEError.badUserInput("`query` must be a string", field: "query")
        }
        var variablesObject = JSONObject()
        switch variables {
        case nil, .null?: break
        case .object(let value)?: variablesObject = value
        default: throw AMEError.badUserInput("`variables` must be a JSON object", field: "variables")
        }
        var name: String?
        switch operationName {
        case nil, .null?: break
        case .string(let value)?: name = value.isEmpty ? nil : value
        default: throw AMEError.badUserInput("`operationName` must be a string", field: "operationName")
        }
        return GraphQLRequest(
            query: text, variables: variablesObject, operationName: name, allowsMutations: allowsMutations,
            extensions: extensionsObject)
    }

    /// The parameters of `application/x-www-form-urlencoded` text as WHATWG's URLSearchParams reads
    /// them: `+` is a space, `%XX` a byte, the first of repeated names wins.
    static func formParameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = decode(pair[pair.startIndex..<(equals ?? pair.endIndex)])
            let value = equals.map { decode(pair[pair.index(after: $0)...]) } ?? ""
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    private static func decode(_ bytes: Substring.UTF8View.SubSequence) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), bytes.distance(from: index, to: bytes.endIndex) >= 3,
                let high = hexValue(bytes[bytes.index(index, offsetBy: 1)]),
                let low = hexValue(bytes[bytes.index(index, offsetBy: 2)])
            {
                output.append(high << 4 | low)
                index = bytes.index(index, offsetBy: 3)
                continue
            } else {
                output.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> String { String(Substring(self).trimmingASCIISpaces()) }
}

extension AMEHTTPServer {
    /// `POST /graphql`: `Accept` and `Content-Type` are checked before the body is read.
    static func post(
        _ request: Request, engine: GraphQLEngine, tenants: TenantResolver, limits: ServerLimits, log: RequestLog
    ) async -> Response {
        guard let mediaType = GraphQLOverHTTP.MediaType.negotiate(request.headers[.accept]) else {
            return notAcceptable(request.headers[.accept])
        }
        do {
            try GraphQLOverHTTP.checkContentType(request.headers[.contentType])
        } catch {
            return errorResponse(error.status, error.error, as: mediaType)
        }
        var request = request
        let body: ByteBuffer
        let cost = ExecutionCost.none(maxComplexity: engine.limits.maxComplexity)
        do {
            body = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return errorResponse(
                .contentTooLarge, .limitExceeded(.bodyBytes, actual: nil, maximum: limits.maxBodyBytes), cost: cost,
                as: mediaType)
        } catch {
            return errorResponse(
                .badRequest,
                .badUserInput(
                    "the request body could not be read: it ended early or its chunked encoding is malformed",
                    field: nil),
                cost: cost, as: mediaType)
        }
        return await answer(
            body: Array(buffer: body), headers: request.headers, engine: engine, tenants: tenants, limits: limits,
            log: log, as: mediaType)
    }

    /// A POST body once it is read (within `AME_MAX_BODY_BYTES`). The credential is checked before
    /// the body is parsed (a client without one never costs a parse), and the parse, within the
    /// JSON bounds, runs inside the request timeout. A body that is not a GraphQL-over-HTTP request
    /// is a 400 whatever the media type.
    static func answer(
        body bytes: [UInt8], headers: HTTPFields, engine: GraphQLEngine, tenants: TenantResolver,
        limits: ServerLimits, log: RequestLog, as mediaType: GraphQLOverHTTP.MediaType
    ) async -> Response {
        let json = limits.json
        return await execute(
            headers: headers, engine: engine, tenants: tenants, limits: limits, log: log, as: mediaType
        ) { () throws(AMEError) in
            try GraphQLOverHTTP.request(body: bytes, limits: json)
        }
    }

    /// What `POST /graphql` answers for a body that was read, with `headers` (`Accept` and the
    /// credential): the same path as a request on the wire from there on. The fuzz targets
    /// (`Fuzz/`) feed bodies through it.
    package static func answer(
        postBody bytes: [UInt8], headers: HTTPFields, engine: GraphQLEngine, tenants: TenantResolver,
        limits: ServerLimits
    ) async -> Response {
        guard let mediaType = GraphQLOverHTTP.MediaType.negotiate(headers[.accept]) else {
            return notAcceptable(headers[.accept])
        }
        return await answer(
            body: bytes, headers: headers, engine: engine, tenants: tenants, limits: limits, log: RequestLog(),
            as: mediaType)
    }

    /// `GET /graphql?query=…` (or `?extensions=…` naming a persisted operation).
    static func get(
        _ decoded: Result<GraphQLRequest?, AMEError>, headers: HTTPFields, engine: GraphQLEngine,
        tenants: TenantResolver, limits: ServerLimits, log: RequestLog
    ) async -> Response {
        guard let mediaType = GraphQLOverHTTP.MediaType.negotiate(headers[.accept]) else {
            return notAcceptable(headers[.accept])
        }
        switch decoded {
        case .success(let request?):
            return await execute(
                request, headers: headers, engine: engine, tenants: tenants, limits: limits, log: log, as: mediaType)
        case .success(nil):
            return errorResponse(.badRequest, .badUserInput("`query` is required", field: "query"), as: mediaType)
        case .failure(let error):
            return errorResponse(.badRequest, error, as: mediaType)
        }
    }

    static func notAcceptable(_ accept: String?) -> Response {
        errorResponse(
            .notAcceptable,
            .notAcceptable(
                "`Accept: \(accept ?? "")` names no type AME answers with: accept application/graphql-response+json or application/json"
            ))
    }

    /// 405 for the methods `/graphql` does not take, with the ones it does.
    static func methodNotAllowed(_ method: HTTPRequest.Method) -> Response {
        var response = errorResponse(
            .methodNotAllowed,
            .methodNotAllowed("/graphql takes \(GraphQLOverHTTP.allowedMethods), not \(method.rawValue)"))
        response.headers[.allow] = GraphQLOverHTTP.allowedMethods
        return response
    }
}
