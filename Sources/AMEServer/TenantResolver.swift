import AMERuntime
import Crypto
import Foundation
import HTTPTypes
import JWTKit

/// Decides which tenant a request acts for. The tenant comes from the credential, never from
/// GraphQL arguments.
///
/// - API keys: `Authorization: Bearer <key>`; the keys file holds the SHA-256 of each key and
///   its tenant, so the file itself grants nothing.
/// - JWT (HS256): `Authorization: Bearer <jwt>` with the claims `endpoint_id`, `part_id`
///   (default `default`, also when empty) and `exp` (required), and `nbf` when present.
/// - Development: with neither configured (allowed on loopback only), `X-Endpoint-Id`
///   (required) and `X-Part-Id` (default `default`). Once a credential method is configured,
///   these headers are ignored.
public struct TenantResolver: Sendable {
    let apiKeys: [String: Tenant]
    let jwtKeys: JWTKeyCollection?

    /// Development tenancy: from headers.
    public init() {
        apiKeys = [:]
        jwtKeys = nil
    }

    /// Authenticated tenancy from API keys (hash → tenant) and/or a JWT secret.
    public init(apiKeys: [String: Tenant], jwtSecret: String?) async {
        self.apiKeys = apiKeys
        if let jwtSecret {
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: jwtSecret), digestAlgorithm: .sha256)
            jwtKeys = keys
        } else {
            jwtKeys = nil
        }
    }

    /// Whether requests must carry a credential.
    public var requiresCredentials: Bool { !apiKeys.isEmpty || jwtKeys != nil }

    static let endpointHeader = HTTPField.Name("X-Endpoint-Id")!
    static let partHeader = HTTPField.Name("X-Part-Id")!

    /// What the host that runs the responder has already decided about the current request's
    /// tenancy, before the request reached it. Only a host sets it (`ame lambda`, from an API
    /// Gateway authorizer's claims or a trusted IAM caller), never anything a client sends.
    public enum HostTenancy: Sendable {
        /// The host established the tenant.
        case established(Tenant)
        /// The request must carry a credential even when none is configured: the development
        /// tenancy (`X-Endpoint-Id`) is refused, as it is for a server off loopback.
        case credentialRequired
    }

    @TaskLocal public static var hostTenancy: HostTenancy?

    public func tenant(from headers: HTTPFields) async throws(AMEError) -> Tenant {
        switch Self.hostTenancy {
        case .established(let tenant)?: return tenant
        case .credentialRequired? where !requiresCredentials:
            throw AMEError.unauthenticated(
                "send `Authorization: Bearer <API key or JWT>` (no API keys or JWT secret are configured)")
        default: break
        }
        guard requiresCredentials else {
            guard let endpoint = headers[Self.endpointHeader], !endpoint.isEmpty else {
                throw AMEError.unauthenticated(
                    "no tenant: send the `X-Endpoint-Id` header (and optionally `X-Part-Id`)")
            }
            let part = headers[Self.partHeader].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            return try Self.tenant(endpoint, part)
        }
        guard let authorization = headers[.authorization], authorization.hasPrefix("Bearer ") else {
            throw AMEError.unauthenticated("send `Authorization: Bearer <API key or JWT>`")
        }
        let credential = String(authorization.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        if credential.split(separator: ".").count == 3, let jwtKeys {
            let claims: TenantClaims
            do {
                claims = try await jwtKeys.verify(credential, as: TenantClaims.self)
            } catch {
                throw AMEError.unauthenticated(
                    "the JWT is invalid, expired, not yet valid (nbf) or lacks `exp`")
            }
            // An empty `part_id` is the default part, as an empty `X-Part-Id` header is.
            return try Self.tenant(claims.endpointId, claims.partId.flatMap { $0.isEmpty ? nil : $0 } ?? "default")
        }
        guard let tenant = apiKeys[Self.hash(credential)] else {
            throw AMEError.unauthenticated("the API key is not valid")
        }
        return tenant
    }

    /// The tenant of two ids, each checked against ``Identifiers/tenantIdProblem(_:)``: a NUL, a
    /// `#` or a look-alike spelling never reaches a partition key.
    static func tenant(_ endpoint: String, _ part: String) throws(AMEError) -> Tenant {
        for (name, id) in [("endpoint_id", endpoint), ("part_id", part)] {
            if let problem = Identifiers.tenantIdProblem(id) {
                throw AMEError.unauthenticated("the tenant's \(name) \(problem)")
            }
        }
        return Tenant(endpointId: endpoint, partId: part)
    }

    /// The hex SHA-256 of an API key, as the keys file stores it.
    public static func hash(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads an API keys file: one key a line, `<sha256-hex> <endpoint_id> [part_id]`; lines that
    /// begin with `#` are comments. A bad line stops the start with its line number and problem.
    public static func readKeysFile(_ path: String) throws -> [String: Tenant] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var keys: [String: Tenant] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // A comment is a whole line: a `#` inside a line is part of a field (and refused there),
            // never the start of a comment that would cut `evil#x` to `evil`.
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            func bad(_ problem: String) -> KeysFileError {
                KeysFileError(
                    description:
                        "\(path):\(number + 1): \(problem); a line is `<sha256-hex> <endpoint_id> [part_id]` (make one with `ame keys add`)"
                )
            }
            guard (2...3).contains(fields.count) else {
                throw bad("expected 2 or 3 fields separated by spaces, found \(fields.count)")
            }
            guard fields[0].utf8.count == 64,
                fields[0].utf8.allSatisfy({ $0 < 0x80 && Character(UnicodeScalar($0)).isHexDigit })
            else {
                throw bad("the first field is not a SHA-256 in hex (64 characters 0-9, a-f)")
            }
            let tenant = Tenant(endpointId: fields[1], partId: fields.count == 3 ? fields[2] : "default")
            for (name, id) in [("endpoint_id", tenant.endpointId), ("part_id", tenant.partId)] {
                if let problem = Identifiers.tenantIdProblem(id) { throw bad("the \(name) \(problem)") }
            }
            keys[fields[0].lowercased()] = tenant
        }
        return keys
    }

    public struct KeysFileError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Whether `host` is a loopback address, where the development tenancy is allowed.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// The claims of a tenant JWT.
struct TenantClaims: JWTPayload {
    var endpointId: String
    var partId: String?
    /// Required: a token without an expiry would be valid for ever.
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case partId = "part_id"
        case exp
        case nbf
    }

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}
