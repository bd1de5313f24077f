import Crypto
import Foundation

/// The opaque `nextToken` of lists: the store's `lastEvaluatedKey`, bound to the tenant and to
/// the query it continues (the list and its filters, or the relation and its parent), and
/// signed with HMAC-SHA256 so it cannot be forged or edited.
///
/// Instances that serve the same clients must share the secret (`AME_TOKEN_SECRET`); without
/// one, each process makes a random secret and its tokens end with it.
public struct PageTokenSigner: Sendable {
    private let key: SymmetricKey

    public init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Array(secret.utf8)))
    }

    /// A signer with a random secret, for a single process.
    public static func random() -> PageTokenSigner {
        PageTokenSigner(secret: UUID().uuidString + UUID().uuidString)
    }

    func encode(_ key: Item, tenant: Tenant, scope: String) -> String {
        let payload: JSONValue = [
            "t": .string(tenant.partitionKey), "s": .string(scope), "k": ItemValue.map(key).json,
        ]
        let bytes = Array(payload.jsonText.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: self.key)
        return Self.base64URL(bytes) + "." + Self.base64URL(Array(mac))
    }

    func decode(_ token: String, tenant: Tenant, scope: String) throws(AMEError) -> Item {
        let invalid = AMEError.badUserInput(
            "`nextToken` was not issued for this query (or to you); start again without it", field: "nextToken")
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.bytes(fromBase64URL: String(parts[0])),
            let mac = Self.bytes(fromBase64URL: String(parts[1])),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key),
            let json = try? JSONValue.parse(bytes: payload),
            json["t"]?.stringValue == tenant.partitionKey, json["s"]?.stringValue == scope,
            case .object(let key)? = json["k"]
        else { throw invalid }
        var item: Item = [:]
        for (name, value) in key.pairs {
            switch value {
            case .string(let text): item[name] = .string(text)
            case .int, .double: item[name] = ItemValue(json: value)
            default: throw invalid
            }
        }
        return item
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func bytes(fromBase64URL text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
