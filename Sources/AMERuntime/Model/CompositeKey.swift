/// The one codec of composite keys: the tenant partition key (`<endpoint_id>#<part_id>`) and the
/// runtime tables' sort keys (`A#…`, `V#…`, unique values, history records) are parts joined by
/// `#`, each part escaped so that no part can contain the separator. Without the escape, a
/// `data` attribute named `a#b` or a user key `x#y` would make one key a prefix of another's
/// (`V#type#id#a#` would find the versions of `a#b`).
///
/// The escape is `%` → `%25` and `#` → `%23`: parts without either (every generated key, every
/// valid tenant id, most user values) are stored exactly as written.
public enum CompositeKey {
    public static let separator: Character = "#"

    /// The parts joined by `#`, each escaped.
    public static func encode(_ parts: [String]) -> String {
        parts.map(escape).joined(separator: "#")
    }

    /// The key of `parts` followed by the separator: what every key that continues `parts`
    /// begins with, and no other key.
    public static func prefix(_ parts: [String]) -> String {
        encode(parts) + "#"
    }

    /// The parts of an encoded key; `nil` when `key` is not one (an escape cut short).
    public static func decode(_ key: String) -> [String]? {
        var parts: [String] = []
        for part in key.split(separator: separator, omittingEmptySubsequences: false) {
            guard let text = unescape(part) else { return nil }
            parts.append(text)
        }
        return parts
    }

    static func escape(_ part: String) -> String {
        guard part.utf8.contains(where: { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "%") }) else { return part }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.utf8.count + 6)
        for byte in part.utf8 {
            switch byte {
            case UInt8(ascii: "%"): bytes.append(contentsOf: Array("%25".utf8))
            case UInt8(ascii: "#"): bytes.append(contentsOf: Array("%23".utf8))
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func unescape(_ part: Substring) -> String? {
        guard part.utf8.contains(UInt8(ascii: "%")) else { return String(part) }
        var bytes: [UInt8] = []
        var iterator = part.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            switch (iterator.next(), iterator.next()) {
            case (UInt8(ascii: "2"), UInt8(ascii: "5")): bytes.append(UInt8(ascii: "%"))
            case (UInt8(ascii: "2"), UInt8(ascii: "3")): bytes.append(UInt8(ascii: "#"))
            default: return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
