/// Read and write capacity units, as DynamoDB bills them: a read unit is one strongly consistent
/// read of up to 4 KB (half for an eventually consistent one), a write unit one write of up to
/// 1 KB (twice that in a transaction).
public struct CapacityUnits: Sendable, Equatable, Hashable {
    public var read: Double
    public var write: Double

    public init(read: Double = 0, write: Double = 0) {
        self.read = read
        self.write = write
    }

    public static let zero = CapacityUnits()

    public static func + (lhs: CapacityUnits, rhs: CapacityUnits) -> CapacityUnits {
        CapacityUnits(read: lhs.read + rhs.read, write: lhs.write + rhs.write)
    }

    public static func += (lhs: inout CapacityUnits, rhs: CapacityUnits) { lhs = lhs + rhs }

    public var isZero: Bool { read == 0 && write == 0 }
}

/// DynamoDB's published rules for what an item weighs and what a request of it costs, applied
/// alike to both stores so that their `extensions.cost` agree. What DynamoDB itself reported is
/// kept apart (``ExecutionCost/consumedUnits``).
///
/// - An item's size is the sum of its attribute names and values: a string its UTF-8 bytes, a
///   number one byte per two significant digits plus one, a boolean or null one byte, a list or
///   map 3 bytes plus one per element plus the elements (and a map's names), a set its elements.
/// - Reads round up to 4 KB: each key of a GetItem or BatchGetItem on its own (an absent item
///   still costs the minimum), a Query once over all the items it read (counted ones too).
///   Strongly consistent reads cost 1 unit per 4 KB, eventually consistent ones (global indexes)
///   half.
/// - Writes round up to 1 KB per item; a transaction costs twice; a put also writes one entry per
///   index the item is in (the entry's size: the whole item, or its keys and included attributes).
///   A delete costs the minimum for the table: the deleted item's size and its index entries are
///   not known without reading it, and DynamoDB's own figure includes them.
public enum CapacityRules {
    static let readUnitBytes = 4096
    static let writeUnitBytes = 1024

    /// The size of `item` in bytes, as DynamoDB counts it.
    public static func size(of item: Item) -> Int {
        var total = 0
        for (name, value) in item { total += name.utf8.count + size(of: value) }
        return total
    }

    /// The size of one attribute value (without its name).
    public static func size(of value: ItemValue) -> Int {
        switch value {
        case .string(let text): text.utf8.count
        case .number(let text): numberSize(text)
        case .bool, .null: 1
        case .list(let values): values.reduce(3) { $0 + 1 + size(of: $1) }
        case .map(let entries): entries.reduce(3) { $0 + 1 + $1.key.utf8.count + size(of: $1.value) }
        case .stringSet(let values): values.reduce(0) { $0 + $1.utf8.count }
        }
    }

    /// One byte per two significant digits (leading and trailing zeros trimmed), plus one.
    static func numberSize(_ text: String) -> Int { numberSize(utf8: text.utf8) }

    static func numberSize<Bytes: Collection<UInt8>>(utf8 text: Bytes) -> Int {
        var first: Int?
        var last = 0
        var position = 0
        for byte in text {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { continue }
            if byte != UInt8(ascii: "0") {
                if first == nil { first = position }
                last = position
            }
            position += 1
        }
        guard let first else { return 1 }
        return (last - first + 2) / 2 + 1
    }

    /// The read units of reading `bytes` at once (at least the minimum).
    package static func readUnits(bytes: Int, consistent: Bool) -> Double {
        let blocks = max(1, (bytes + readUnitBytes - 1) / readUnitBytes)
        return consistent ? Double(blocks) : Double(blocks) / 2
    }

    /// The write units of writing an item of `bytes` (at least the minimum).
    static func writeUnits(bytes: Int, transactional: Bool) -> Double {
        let blocks = max(1, (bytes + writeUnitBytes - 1) / writeUnitBytes)
        return transactional ? Double(2 * blocks) : Double(blocks)
    }

    /// BatchGetItem (and GetItem): every requested key on its own, strongly consistent; absent
    /// items cost the minimum.
    static func batchGet(_ keys: [TableKey], found: [TableKey: Item]) -> Double {
        keys.reduce(0) { $0 + readUnits(bytes: found[$1].map(size(of:)) ?? 0, consistent: true) }
    }

    /// The same, from the sizes of the items found (when what was returned is projected).
    static func batchGet(_ keys: [TableKey], bytes: [TableKey: Int]) -> Double {
        keys.reduce(0) { $0 + readUnits(bytes: bytes[$1] ?? 0, consistent: true) }
    }

    /// A Query page: the items it read (or counted, of `bytes`), rounded up once.
    static func query(bytes: Int, consistent: Bool) -> Double {
        readUnits(bytes: bytes, consistent: consistent)
    }

    /// The write units of `actions` (a transaction, or a batch when not `transactional`).
    package static func write(
        _ actions: [WriteAction], tables: [String: TableDefinition], transactional: Bool
    ) -> Double {
        var units = 0.0
        for action in actions {
            switch action {
            case .put(let table, let item, _):
                units += writeUnits(bytes: size(of: item), transactional: transactional)
                for index in tables[table]?.indexes ?? [] {
                    guard let entry = indexEntrySize(item, index: index, table: tables[table]!) else { continue }
                    units += writeUnits(bytes: entry, transactional: transactional)
                }
            case .delete, .conditionCheck:
                units += writeUnits(bytes: 0, transactional: transactional)
            }
        }
        return units
    }

    /// The size of `item`'s entry in `index`; `nil` when the item lacks the index's keys (sparse).
    package static func indexEntrySize(_ item: Item, index: IndexDefinition, table: TableDefinition) -> Int? {
        guard item[index.sortAttribute] != nil else { return nil }
        if let partition = index.partitionAttribute, item[partition] == nil { return nil }
        var names: Set<String> = [table.partitionAttribute, table.sortAttribute, index.sortAttribute]
        if let partition = index.partitionAttribute { names.insert(partition) }
        switch index.projection {
        case .all: return size(of: item)
        case .keysOnly: break
        case .include(let included): names.formUnion(included)
        }
        return names.reduce(0) { total, name in
            guard let value = item[name] else { return total }
            return total + name.utf8.count + size(of: value)
        }
    }
}
