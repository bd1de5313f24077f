/// Every error a client can see, as a value with a code. Created where the fact is known and
/// rendered to GraphQL in one place (``GraphQLErrorPayload``).
public enum AMEError: Error, Sendable, Equatable {
    case parseFailed(String)
    case validationFailed(String)
    case badUserInput(String, field: String?)
    case entityNotFound(type: String, key: String)
    case conflict(String)
    case foreignKeyViolation(type: String, field: String, key: String)
    case queryTooComplex(complexity: Int, maxComplexity: Int)
    case queryTooDeep(depth: Int, maxDepth: Int)
    /// A list filtered on fields no index serves read more items than the request's scan budget
    /// (`AME_MAX_SCAN_ITEMS`); `index` is the index that would serve the first such filter.
    case queryTooExpensive(scanned: Int, budget: Int, filters: [String], index: String?)
    case unauthenticated(String)
    case forbidden(String)
    case storeUnavailable
    /// The server is not set up for what was asked (e.g. uploads without a bucket); the message
    /// says which settings are missing.
    case notConfigured(String)
    /// The request ran past `AME_REQUEST_TIMEOUT`; a mutation may still have committed.
    case requestTimeout(seconds: Int)
    /// A bound on the request's size or shape was crossed (each bound has its own code).
    case limitExceeded(InputLimit, actual: Int?, maximum: Int)
    case internalError
    /// A selected field the executor has no resolver for: an error at its path, never a silent null.
    case unresolvedField(type: String, field: String)
    /// `__schema` or `__type` while `AME_INTROSPECTION` is off.
    case introspectionDisabled
    /// A POST body of a media type other than `application/json` (HTTP 415).
    case unsupportedMediaType(String)
    /// An `Accept` header naming no media type AME writes (HTTP 406).
    case notAcceptable(String)
    /// A method `/graphql` does not take (HTTP 405, with `Allow`).
    case methodNotAllowed(String)
    /// `extensions.persistedQuery` names a hash this server does not know: send the query with it.
    case persistedQueryNotFound
    /// Persisted queries are off (`AME_PERSISTED_QUERIES=off`).
    case persistedQueryNotSupported
    /// The query sent with a `sha256Hash` is not the text of that hash.
    case persistedQueryHashMismatch
    /// Allow-list mode: the operation is not in the manifest.
    case operationNotAllowed
    /// The tenant's capacity units are spent (`AME_RATE_LIMITS_FILE`): nothing ran; retry after
    /// the refusal's seconds (HTTP 429 with `Retry-After`).
    case rateLimited(RateLimitRefusal)

    public var code: String {
        switch self {
        case .parseFailed: "GRAPHQL_PARSE_FAILED"
        case .validationFailed: "GRAPHQL_VALIDATION_FAILED"
        case .badUserInput: "BAD_USER_INPUT"
        case .entityNotFound: "ENTITY_NOT_FOUND"
        case .conflict: "CONFLICT"
        case .foreignKeyViolation: "FOREIGN_KEY_VIOLATION"
        case .queryTooComplex: "QUERY_TOO_COMPLEX"
        case .queryTooDeep: "QUERY_TOO_DEEP"
        case .queryTooExpensive: "QUERY_TOO_EXPENSIVE"
        case .unauthenticated: "UNAUTHENTICATED"
        case .forbidden: "FORBIDDEN"
        case .storeUnavailable: "STORE_UNAVAILABLE"
        case .notConfigured: "NOT_CONFIGURED"
        case .requestTimeout: "REQUEST_TIMEOUT"
        case .limitExceeded(let limit, _, _): limit.code
        case .internalError: "INTERNAL"
        case .unresolvedField: "UNRESOLVED_FIELD"
        case .introspectionDisabled: "INTROSPECTION_DISABLED"
        case .unsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE"
        case .notAcceptable: "NOT_ACCEPTABLE"
        case .methodNotAllowed: "METHOD_NOT_ALLOWED"
        case .persistedQueryNotFound: "PERSISTED_QUERY_NOT_FOUND"
        case .persistedQueryNotSupported: "PERSISTED_QUERY_NOT_SUPPORTED"
        case .persistedQueryHashMismatch: "PERSISTED_QUERY_HASH_MISMATCH"
        case .operationNotAllowed: "OPERATION_NOT_ALLOWED"
        case .rateLimited: "RATE_LIMITED"
        }
    }

    public var message: String {
        switch self {
        case .parseFailed(let message), .validationFailed(let message), .conflict(let message),
            .unauthenticated(let message), .forbidden(let message), .notConfigured(let message),
            .unsupportedMediaType(let message), .notAcceptable(let message), .methodNotAllowed(let message):
            message
        case .badUserInput(let message, _): message
        case .entityNotFound(let type, let key): "\(type) `\(key)` does not exist"
        case .foreignKeyViolation(let type, let field, let key):
            "\(field) refers to \(type) `\(key)`, which does not exist"
        case .queryTooComplex(let complexity, let maxComplexity):
            "query complexity \(complexity) exceeds the maximum of \(maxComplexity)"
        case .queryTooDeep(let depth, let maxDepth): "query depth \(depth) exceeds the maximum of \(maxDepth)"
        case .queryTooExpensive(let scanned, let budget, let filters, let index):
            "the filter on \(filters.map { "`\($0)`" }.joined(separator: ", ")), which no index serves, read \(scanned) items, "
                + "past the scan budget of \(budget) (AME_MAX_SCAN_ITEMS): "
                + (index.map { "declare an index that serves it (`\($0)`), or " } ?? "")
                + "filter by an indexed field, or ask for a smaller page"
        case .storeUnavailable: "the store is unavailable; retry later"
        case .requestTimeout(let seconds):
            "the request took longer than \(seconds) s (AME_REQUEST_TIMEOUT); a mutation may still have been applied"
        case .limitExceeded(let limit, let actual, let maximum): limit.message(actual: actual, maximum: maximum)
        case .internalError: "internal error"
        case .unresolvedField(let type, let field): "`\(type).\(field)` has no resolver in this server"
        case .introspectionDisabled:
            "introspection (`__schema`, `__type`) is turned off on this server (AME_INTROSPECTION=false)"
        // Apollo clients recognise these two by their exact messages.
        case .persistedQueryNotFound: "PersistedQueryNotFound"
        case .persistedQueryNotSupported: "PersistedQueryNotSupported"
        case .persistedQueryHashMismatch:
            "the query's SHA-256 is not `extensions.persistedQuery.sha256Hash`: send the hash of the query's exact UTF-8 text"
        case .operationNotAllowed:
            "this server runs registered operations only (AME_PERSISTED_QUERIES=allow-list): add the operation to the manifest (`ame operations manifest`) and deploy it"
        case .rateLimited(let refusal): refusal.message
        }
    }

    /// Extra `extensions` entries beside `code`.
    public var extensions: JSONObject {
        var object = JSONObject()
        switch self {
        case .badUserInput(_, let field?): object["field"] = .string(field)
        case .queryTooComplex(let complexity, let maxComplexity):
            object["complexity"] = .int(complexity)
            object["maxComplexity"] = .int(maxComplexity)
        case .queryTooDeep(let depth, let maxDepth):
            object["depth"] = .int(depth)
            object["maxDepth"] = .int(maxDepth)
        case .queryTooExpensive(let scanned, let budget, _, let index):
            object["itemsScanned"] = .int(scanned)
            object["maxScanItems"] = .int(budget)
            if let index { object["index"] = .string(index) }
        case .limitExceeded(let limit, _, let maximum):
            object["setting"] = .string(limit.setting)
            object["maximum"] = .int(maximum)
        case .rateLimited(let refusal):
            object["retryAfterSeconds"] = .int(refusal.retryAfterSeconds)
            object["units"] = .array(refusal.kinds.map { .string($0.rawValue) })
        default: break
        }
        return object
    }
}

/// One entry of a response's `errors`.
public struct GraphQLErrorPayload: Sendable, Equatable {
    public var error: AMEError
    public var path: [JSONValue]
    public var locations: [(line: Int, column: Int)]
    /// What caused an `INTERNAL` or `STORE_UNAVAILABLE` error, for the operator's log: never in
    /// the response, whose client is told only the code.
    public var cause: String?

    public init(
        _ error: AMEError, path: [JSONValue] = [], locations: [(line: Int, column: Int)] = [], cause: String? = nil
    ) {
        self.error = error
        self.path = path
        self.locations = locations
        self.cause = cause
    }

    public static func == (lhs: GraphQLErrorPayload, rhs: GraphQLErrorPayload) -> Bool {
        lhs.error == rhs.error && lhs.path == rhs.path
            && lhs.locations.map(\.line) == rhs.locations.map(\.line)
            && lhs.locations.map(\.column) == rhs.locations.map(\.column)
    }

    public var json: JSONValue {
        var object = JSONObject()
        object["message"] = .string(error.message)
        if !locations.isEmpty {
            object["locations"] = .array(
                locations.map { .object(JSONObject([("line", .int($0.line)), ("column", .int($0.column))])) }
            )
        }
        if !path.isEmpty { object["path"] = .array(path) }
        var extensions = JSONObject([("code", .string(error.code))])
        for (key, value) in error.extensions.pairs { extensions[key] = value }
        object["extensions"] = .object(extensions)
        return .object(object)
    }
}

extension AMEError {
    /// The answer for an error thrown while a field ran: an `AMEError` as it is; a store's refusal
    /// of a condition as `CONFLICT`; a request the store refused as malformed, or anything else,
    /// as `INTERNAL` (AME built it wrong); any other store failure as `STORE_UNAVAILABLE`. The
    /// cause of the last three is logged, never answered.
    static func answering(_ error: Error) -> AMEError {
        switch error {
        case let error as AMEError: error
        case StoreError.conditionFailed: .conflict("the item was changed concurrently; retry")
        case StoreError.invalidRequest: .internalError
        case is StoreError: .storeUnavailable
        default: .internalError
        }
    }
}
