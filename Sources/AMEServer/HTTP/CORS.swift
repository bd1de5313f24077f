import AMERuntime
import HTTPTypes
import Hummingbird

/// Which browser origins may call AME (`AME_CORS_ORIGINS`, `AME_CORS_ALLOW_CREDENTIALS`,
/// `AME_CORS_MAX_AGE`). Off by default: without it, browsers keep pages on other origins from
/// reading AME's answers, and from sending it anything but simple requests (which AME refuses:
/// a POST must be `application/json`, a GET cannot mutate).
public struct CORSPolicy: Sendable, Equatable {
    /// Exact origins (`https://app.example.com`), compared byte for byte; `["*"]` for any
    /// origin, which cannot be combined with credentials.
    public var allowedOrigins: [String]
    /// Whether browsers may send cookies and `Authorization` (`Access-Control-Allow-Credentials`).
    public var allowsCredentials: Bool
    /// How long a browser may keep a preflight's answer, in seconds.
    public var maxAge: Int

    public init(allowedOrigins: [String], allowsCredentials: Bool = false, maxAge: Int = 600) {
        self.allowedOrigins = allowedOrigins
        self.allowsCredentials = allowsCredentials
        self.maxAge = maxAge
    }

    /// Reads `AME_CORS_ORIGINS` (comma-separated), `AME_CORS_ALLOW_CREDENTIALS` and
    /// `AME_CORS_MAX_AGE`; `nil` when no origin is configured.
    public init?(settings: [String: String]) throws(CORSPolicyError) {
        let origins = (settings["AME_CORS_ORIGINS"] ?? "").split(separator: ",")
            .map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
        guard !origins.isEmpty else { return nil }
        let credentials = Settings.flag("AME_CORS_ALLOW_CREDENTIALS", in: settings)
        if let problem = Self.problem(origins: origins, credentials: credentials) { throw CORSPolicyError(problem) }
        self.init(
            allowedOrigins: origins, allowsCredentials: credentials,
            maxAge: Settings.integer("AME_CORS_MAX_AGE", in: settings))
    }

    /// What is wrong with a configuration, or `nil`.
    static func problem(origins: [String], credentials: Bool) -> String? {
        if origins.contains("*") {
            if origins.count > 1 { return "`*` stands alone in AME_CORS_ORIGINS" }
            if credentials {
                return "AME_CORS_ORIGINS=* cannot be combined with AME_CORS_ALLOW_CREDENTIALS=true: list the origins"
            }
            return nil
        }
        for origin in origins {
            let parts = origin.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "http:" || parts[0] == "https:", parts[1].isEmpty, !parts[2].isEmpty
            else {
                return
                    "`\(origin)` is not an origin: give scheme://host[:port], without a path (e.g. https://app.example.com)"
            }
        }
        return nil
    }

    /// The value of `Access-Control-Allow-Origin` for a request from `origin`, or `nil` when the
    /// origin is not allowed.
    func allowOrigin(for origin: String) -> String? {
        if allowedOrigins == ["*"] { return "*" }
        return allowedOrigins.contains { $0.utf8.elementsEqual(origin.utf8) } ? origin : nil
    }
}

public struct CORSPolicyError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Applies a ``CORSPolicy``: answers preflights (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) for allowed origins, and marks the responses to them as
/// readable, `X-Request-Id` included. Requests from other origins get no CORS headers, which
/// browsers treat as a refusal.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    /// The request headers a preflight allows when it does not name any.
    static var allowedHeaders: String { "Content-Type, Accept, Authorization, X-Endpoint-Id, X-Part-Id, X-Request-Id" }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        guard let allowed = policy.allowOrigin(for: origin) else {
            var response = try await next(request, context)
            response.headers[.vary] = "Origin"
            return response
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: allowed, .accessControlAllowMethods: GraphQLOverHTTP.allowedMethods,
                .accessControlAllowHeaders: request.headers[.accessControlRequestHeaders] ?? Self.allowedHeaders,
                .accessControlMaxAge: String(policy.maxAge),
                .vary: "Origin",
            ]
            if policy.allowsCredentials { headers[.accessControlAllowCredentials] = "true" }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowed
        response.headers[.accessControlExposeHeaders] = "X-Request-Id"
        response.headers[.vary] = "Origin"
        if policy.allowsCredentials { response.headers[.accessControlAllowCredentials] = "true" }
        return response
    }
}
