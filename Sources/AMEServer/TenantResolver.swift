import AMERuntime
import HTTPTypes

/// Decides which tenant a request acts for.
///
/// With no authentication configured (the development default, allowed on loopback only), the
/// tenant comes from `X-Endpoint-Id` (required) and `X-Part-Id` (default `default`).
public struct TenantResolver: Sendable {
    public enum Mode: Sendable {
        /// Development: tenant from headers. Only valid when bound to loopback.
        case developmentHeaders
    }

    public let mode: Mode

    public init(mode: Mode = .developmentHeaders) {
        self.mode = mode
    }

    static let endpointHeader = HTTPField.Name("X-Endpoint-Id")!
    static let partHeader = HTTPField.Name("X-Part-Id")!

    public func tenant(from headers: HTTPFields) throws(AMEError) -> Tenant {
        switch mode {
        case .developmentHeaders:
            guard let endpoint = headers[Self.endpointHeader], !endpoint.isEmpty else {
                throw AMEError.unauthenticated(
                    "no tenant: send the `X-Endpoint-Id` header (and optionally `X-Part-Id`)")
            }
            let part = headers[Self.partHeader].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            guard Self.isValidPart(endpoint), Self.isValidPart(part) else {
                throw AMEError.unauthenticated("`X-Endpoint-Id` and `X-Part-Id` may not contain `#`")
            }
            return Tenant(endpointId: endpoint, partId: part)
        }
    }

    /// `#` separates the two parts of the stored partition key, so it cannot appear in either.
    static func isValidPart(_ value: String) -> Bool {
        !value.contains("#") && value.utf8.count <= 256
    }

    /// Whether `host` is a loopback address, where the development tenancy is allowed.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
