import AMERuntime
import Crypto

/// A digest of an item's content, independent of attribute order and of the order DynamoDB
/// returns a string set in: what the migration compares before writing and what
/// `ame migrate verify` compares on both sides.
enum ItemDigest {
    /// The attribute a migrated item carries: the digest of its content without this attribute.
    /// An AME item whose content no longer matches it was changed by AME after the migration.
    static let attribute = "migrated_digest"

    /// 32 hexadecimal digits (128 bits of SHA-256).
    static func of(_ item: Item) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        encode(.map(item), into: &bytes)
        let hash = SHA256.hash(data: bytes)
        return hash.prefix(16).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The item as the migration writes it: with its own digest.
    static func stamped(_ item: Item) -> Item {
        var stamped = item
        stamped[attribute] = .string(of(item))
        return stamped
    }

    /// Whether an item in AME is exactly as a migration wrote it (not changed by AME since).
    static func isUnchangedSinceMigration(_ item: Item) -> Bool {
        guard case .string(let recorded)? = item[attribute] else { return false }
        var content = item
        content[attribute] = nil
        return of(content) == recorded
    }

    private static func encode(_ value: ItemValue, into bytes: inout [UInt8]) {
        func text(_ tag: UInt8, _ string: String) {
            bytes.append(tag)
            let utf8 = Array(string.utf8)
            length(utf8.count)
            bytes.append(contentsOf: utf8)
        }
        func length(_ count: Int) {
            withUnsafeBytes(of: UInt64(count).bigEndian) { bytes.append(contentsOf: $0) }
        }
        switch value {
        case .null: bytes.append(0)
        case .string(let string): text(1, string)
        case .number(let number): text(2, number)
        case .bool(let flag): bytes.append(flag ? 4 : 3)
        case .list(let values):
            bytes.append(5)
            length(values.count)
            for element in values { encode(element, into: &bytes) }
        case .map(let map):
            bytes.append(6)
            length(map.count)
            for name in map.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                text(1, name)
                encode(map[name]!, into: &bytes)
            }
        case .stringSet(let values):
            bytes.append(7)
            length(values.count)
            for element in values.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                text(1, element)
            }
        }
    }
}
