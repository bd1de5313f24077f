import Foundation

/// What the ids a client sends may be, checked at the edge (the credential, the write path)
/// before they reach a key. The store and the caches compare keys as bytes, so the rules make
/// sure one id has one spelling: no control characters (a NUL would end a C string), no
/// separators where a key is composite, and text in Unicode's composed form (NFC), so `café`
/// typed two ways cannot be two ids that look the same or one id that matches the other.
public enum Identifiers {
    /// The most bytes of an `endpoint_id` or a `part_id`.
    public static let maxTenantIdBytes = 128
    /// The most bytes of an entity key or a `unique` value (DynamoDB sort keys hold 1024, and the
    /// key of a unique value adds the entity and field names).
    public static let maxKeyBytes = 512
    /// The most bytes of a `data` attribute name.
    public static let maxAttributeNameBytes = 255

    /// The characters of a tenant id: ASCII letters, digits and `.`, `_`, `-`, `:`, `@`.
    public static let tenantIdCharacters = "A-Z a-z 0-9 . _ - : @"

    /// What is wrong with a tenant id (`endpoint_id` or `part_id`), or `nil` when it is valid:
    /// 1–128 bytes of ``tenantIdCharacters``.
    public static func tenantIdProblem(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= maxTenantIdBytes else {
            return "must be 1 to \(maxTenantIdBytes) bytes long"
        }
        let allowed = id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"),
                UInt8(ascii: ":"), UInt8(ascii: "@"):
                true
            default: false
            }
        }
        return allowed ? nil : "may only contain \(tenantIdCharacters)"
    }

    /// What is wrong with a key, a unique value or an attribute name, or `nil` when it is valid:
    /// 1 to `maxBytes` bytes, no control characters (U+0000–U+001F, U+007F–U+009F), in NFC.
    public static func textProblem(_ text: String, maxBytes: Int) -> String? {
        let count = text.utf8.count
        guard count > 0, count <= maxBytes else { return "must be 1 to \(maxBytes) bytes long" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "may not contain control characters"
        }
        if !text.utf8.allSatisfy({ $0 < 0x80 }),
            !text.precomposedStringWithCanonicalMapping.utf8.elementsEqual(text.utf8)
        {
            return "must be in Unicode composed form (NFC)"
        }
        return nil
    }
}
