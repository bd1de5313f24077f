#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one storage interface of the runtime, shaped on DynamoDB's operations so that the
/// embedded SQLite backend and the DynamoDB backend are interchangeable.
///
/// Every table is partitioned by tenant (the `tenant` attribute holds `"<endpoint_id>#<part_id>"`)
/// and sorted by the entity's key attribute.
public protocol Store: Sendable {
    /// Creates a table and its indexes if it does not exist yet (idempotent).
    func createTable(_ table: TableDefinition) async throws
    /// Deletes a table and everything in it, if it exists.
    func deleteTable(named name: String) async throws
    /// The names of the existing tables.
    func listTables() async throws -> [String]
    /// The keys and indexes of an existing table, or `nil` when there is no such table.
    func describeTable(named name: String) async throws -> TableDescription?
    /// Whether ``createTable(_:)`` builds indexes added to an existing table's definition.
    var buildsAddedIndexes: Bool { get }
    /// Where an operation should run to make this store's calls cheapest: the threads a store
    /// that blocks makes its calls on (`nil`, the default, for a store that does not block).
    var taskExecutor: (any TaskExecutor)? { get }

    /// GetItem.
    func getItem(table: String, key: ItemKey) async throws -> Item?
    /// BatchGetItem: at most ``StoreLimits/batchGetKeys`` distinct keys, across any tables.
    /// Keys that do not exist are absent from the result; nothing is silently dropped.
    func batchGetItem(_ keys: [TableKey]) async throws -> [TableKey: Item]
    /// BatchGetItem of the attributes `projections` names for a table (whole items for a table
    /// it does not name). A store may return more attributes than asked; it reports the size of
    /// the whole items it read when what it returns is smaller.
    func batchGetItem(_ keys: [TableKey], projections: [String: ReadProjection]) async throws -> BatchGetPage
    /// Query on the table or one of its indexes, with a key condition, limit and cursor.
    func query(_ request: QueryRequest) async throws -> QueryPage
    /// TransactWriteItems: all of `actions` apply, or none (at most ``StoreLimits/transactionActions``).
    func transactWriteItems(_ actions: [WriteAction]) async throws
    /// BatchWriteItem: unconditional puts and deletes (at most ``StoreLimits/batchWriteItems``),
    /// each applied when this returns; for bulk loads, without the guarantees of a transaction.
    func batchWriteItem(_ requests: [BatchWriteRequest]) async throws
    /// Scan: one page of one segment of a table, in no particular order; every item of the table
    /// is in exactly one of the `totalSegments` segments. For migrations, never for requests.
    func scan(_ request: ScanRequest) async throws -> ScanPage
    /// Ends the store's use by this process (on shutdown): pending work is made durable.
    func close() async
}

extension Store {
    public func close() async {}
    public var buildsAddedIndexes: Bool { false }
    public var taskExecutor: (any TaskExecutor)? { nil }
}

/// One put or delete of a BatchWriteItem.
public enum BatchWriteRequest: Sendable {
    case put(table: String, item: Item)
    case delete(table: String, key: ItemKey)

    public var table: String {
        switch self {
        case .put(let table, _), .delete(let table, _): table
        }
    }
}

/// DynamoDB's request limits, which every backend enforces alike.
public enum StoreLimits {
    public static let batchGetKeys = 100
    public static let transactionActions = 100
    public static let batchWriteItems = 25
    public static let queryPageItems = 1000

    /// Refuses a BatchGetItem DynamoDB would refuse: too many keys, or the same key twice.
    static func checkBatchGet(_ keys: [TableKey]) throws(StoreError) {
        guard keys.count <= batchGetKeys else {
            throw StoreError.invalidRequest("BatchGetItem takes at most \(batchGetKeys) keys, got \(keys.count)")
        }
        guard Set(keys).count == keys.count else {
            throw StoreError.invalidRequest("BatchGetItem keys must be distinct")
        }
    }

    /// Refuses a BatchWriteItem with more than ``batchWriteItems`` requests.
    static func checkBatchWrite(_ requests: [BatchWriteRequest]) throws(StoreError) {
        guard requests.count <= batchWriteItems else {
            throw StoreError.invalidRequest(
                "BatchWriteItem takes at most \(batchWriteItems) requests, got \(requests.count)")
        }
    }

    /// Refuses a transaction with more than ``transactionActions`` actions.
    static func checkTransaction(_ actions: [WriteAction]) throws(StoreError) {
        guard actions.count <= transactionActions else {
            throw StoreError.invalidRequest(
                "a transaction takes at most \(transactionActions) actions, got \(actions.count)")
        }
    }
}

/// The attribute that holds the tenant partition key in every table.
public let tenantAttribute = "tenant"

/// The primary key of an item within a table.
public struct ItemKey: Hashable, Sendable {
    /// The tenant partition value, `"<endpoint_id>#<part_id>"`.
    public var partition: String
    /// The value of the table's sort key attribute.
    public var sort: String

    public init(partition: String, sort: String) {
        self.partition = partition
        self.sort = sort
    }

    /// Keys are equal when their bytes are, as the store compares them: Swift's `String` equality
    /// is canonical, and would make the cache answer `café` (é) with the item of `café` (e + ´).
    public static func == (lhs: ItemKey, rhs: ItemKey) -> Bool {
        sameBytes(lhs.sort, rhs.sort) && sameBytes(lhs.partition, rhs.partition)
    }

    public func hash(into hasher: inout Hasher) {
        Self.combine(partition, into: &hasher)
        Self.combine(sort, into: &hasher)
    }

    /// Whether two strings hold the same UTF-8 bytes (one `memcmp` for native strings).
    static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        var lhs = lhs
        return lhs.withUTF8 { bytes(of: rhs, equal: UnsafeRawBufferPointer($0)) }
    }

    /// Whether `text`'s UTF-8 is exactly `utf8` (one `memcmp`).
    static func bytes(of text: String, equal utf8: UnsafeRawBufferPointer) -> Bool {
        guard text.utf8.count == utf8.count else { return false }
        guard utf8.count > 0 else { return true }
        var text = text
        return text.withUTF8 { memcmp($0.baseAddress!, utf8.baseAddress!, utf8.count) == 0 }
    }

    private static func combine(_ text: String, into hasher: inout Hasher) {
        hasher.combine(text.utf8.count)
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable {
            hasher.combine(bytes: UnsafeRawBufferPointer($0))
        }
        if hashed == nil { for byte in text.utf8 { hasher.combine(byte) } }
    }
}

/// An item key qualified by its table, the unit of a batch read.
public struct TableKey: Hashable, Sendable {
    public let table: String
    public let key: ItemKey
    /// The key's hash, computed once: a key is hashed at every step of a level's read (its
    /// deduplication, the batch's results, each parent's lookup).
    private let hash: Int

    public init(table: String, key: ItemKey) {
        self.table = table
        self.key = key
        var hasher = Hasher()
        hasher.combine(table)
        hasher.combine(key)
        hash = hasher.finalize()
    }

    public static func == (lhs: TableKey, rhs: TableKey) -> Bool {
        lhs.hash == rhs.hash && lhs.key == rhs.key && ItemKey.sameBytes(lhs.table, rhs.table)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

/// A physical table: name, key attributes and secondary indexes.
public struct TableDefinition: Sendable, Equatable {
    public var name: String
    public var partitionAttribute: String
    public var sortAttribute: String
    public var indexes: [IndexDefinition]

    public init(name: String, sortAttribute: String, indexes: [IndexDefinition] = []) {
        self.name = name
        self.partitionAttribute = tenantAttribute
        self.sortAttribute = sortAttribute
        self.indexes = indexes
    }

    /// The key of `item` as a Query of this table (or of `index`) returns it in
    /// `LastEvaluatedKey`, and takes it back as `ExclusiveStartKey`: the table's key attributes,
    /// plus the index's.
    public func key(of item: Item, index indexName: String? = nil) -> Item {
        var key: Item = [
            partitionAttribute: item[partitionAttribute] ?? .null, sortAttribute: item[sortAttribute] ?? .null,
        ]
        if let indexName, let index = index(named: indexName) {
            if let partition = index.partitionAttribute { key[partition] = item[partition] }
            key[index.sortAttribute] = item[index.sortAttribute]
        }
        return key
    }

    public func index(named name: String) -> IndexDefinition? {
        indexes.first { $0.name == name }
    }
}

/// A secondary index. Local indexes share the table's partition attribute. A global index's
/// partition attribute is composed by the write path from the tenant (and, for an index declared
/// with a `partition:` field, that field's value), so that a tenant's lists can read it and never
/// see another tenant's items.
public struct IndexDefinition: Sendable, Equatable {
    public var name: String
    /// `nil` for a local index (the tenant partition).
    public var partitionAttribute: String?
    /// The field a global index's partition is composed from, with the tenant; `nil` for a local
    /// index, or for a global index of the tenant alone.
    public var partitionField: String?
    public var sortAttribute: String
    public var sortIsNumber: Bool
    public var projection: Projection

    /// Which attributes the index copies (DynamoDB `Projection`).
    public enum Projection: Sendable, Equatable {
        case all
        case keysOnly
        case include([String])
    }

    public init(
        name: String, partitionAttribute: String? = nil, sortAttribute: String, sortIsNumber: Bool = false,
        projection: Projection = .all
    ) {
        self.name = name
        self.partitionAttribute = partitionAttribute
        self.sortAttribute = sortAttribute
        self.sortIsNumber = sortIsNumber
        self.projection = projection
        self.partitionField = nil
    }

    public var isGlobal: Bool { partitionAttribute != nil }

    /// A global index whose partition is the tenant and, when `partitionField` is given, that
    /// field's value, stored in the composed attribute ``tenantScopedAttribute(of:)``. Without a
    /// partition field the index is partitioned by the table's own `tenant` attribute: nothing
    /// is added to the items.
    public static func global(
        name: String, partitionField: String? = nil, sortAttribute: String, sortIsNumber: Bool = false,
        projection: Projection = .all
    ) -> IndexDefinition {
        var index = IndexDefinition(
            name: name, partitionAttribute: partitionField == nil ? tenantAttribute : tenantScopedAttribute(of: name),
            sortAttribute: sortAttribute,
            sortIsNumber: sortIsNumber, projection: projection)
        index.partitionField = partitionField
        return index
    }

    /// Whether the index holds the tenant's items sorted by `attribute` in one partition: a local
    /// index, or a global one of the tenant alone.
    public func isTenantSorted(by attribute: String) -> Bool { partitionField == nil && sortAttribute == attribute }

    /// The attribute holding a global index's composed partition: `tenant#<index name>`.
    public static func tenantScopedAttribute(of index: String) -> String { "\(tenantAttribute)#\(index)" }

    /// The value of this global index's partition for an item of the tenant `partition` whose
    /// partition field holds `value` (`<endpoint>#<part>#s:<value>`, escaped as composite keys
    /// are, so no tenant's partition can be another's); `nil` when the item has no such value (it
    /// stays out of the index, which is sparse).
    public func partitionValue(tenant partition: String, fieldValue value: ItemValue?) -> ItemValue? {
        guard partitionField != nil else { return .string(partition) }
        guard let value, value != .null else { return nil }
        // The tenant's key (its parts already escaped) continued by one more escaped part.
        return .string(partition + String(CompositeKey.separator) + CompositeKey.escape(AttributeText.of(value)))
    }
}

/// One page of one segment of a parallel Scan.
public struct ScanRequest: Sendable {
    public var table: String
    public var segment: Int
    public var totalSegments: Int
    public var limit: Int
    /// The `lastEvaluatedKey` of the segment's previous page.
    public var exclusiveStartKey: Item?
    public var consistentRead: Bool

    public init(
        table: String, segment: Int = 0, totalSegments: Int = 1, limit: Int = 100, exclusiveStartKey: Item? = nil,
        consistentRead: Bool = true
    ) {
        self.table = table
        self.segment = segment
        self.totalSegments = totalSegments
        self.limit = limit
        self.exclusiveStartKey = exclusiveStartKey
        self.consistentRead = consistentRead
    }

    /// Refuses a request DynamoDB would refuse: no positive limit, or a segment out of range.
    func check() throws(StoreError) {
        guard limit > 0, totalSegments >= 1, (0..<totalSegments).contains(segment) else {
            throw StoreError.invalidRequest(
                "Scan needs a positive limit and a segment in 0..<totalSegments (got \(segment) of \(totalSegments))")
        }
    }
}

/// One page of a Scan.
public struct ScanPage: Sendable {
    public var items: [Item]
    /// The key to continue the segment from; `nil` when the segment is exhausted.
    public var lastEvaluatedKey: Item?
    /// The read capacity units the page cost, when DynamoDB reports them.
    public var consumedCapacity: Double?

    public init(items: [Item], lastEvaluatedKey: Item?, consumedCapacity: Double? = nil) {
        self.items = items
        self.lastEvaluatedKey = lastEvaluatedKey
        self.consumedCapacity = consumedCapacity
    }
}

/// A condition on the sort key of a Query.
public enum SortKeyCondition: Sendable, Equatable {
    case equals(ItemValue)
    case lessThan(ItemValue)
    case lessThanOrEqual(ItemValue)
    case greaterThan(ItemValue)
    case greaterThanOrEqual(ItemValue)
    case between(ItemValue, ItemValue)
    case beginsWith(String)
}

/// A Query: one partition of a table or index, optionally narrowed by a sort key condition.
public struct QueryRequest: Sendable {
    public var table: String
    public var index: String?
    /// The partition value: the tenant for the table and local indexes.
    public var partition: ItemValue
    public var sortCondition: SortKeyCondition?
    public var limit: Int
    /// The `lastEvaluatedKey` of the previous page.
    public var exclusiveStartKey: Item?
    public var scanForward: Bool
    /// Only count the matching items (DynamoDB `Select: COUNT`).
    public var countOnly: Bool
    /// The attributes the reader needs (whole items when `nil`). A store may return more; the
    /// page's `evaluatedBytes` is then the size of the whole items.
    public var projection: ReadProjection?

    public init(
        table: String, index: String? = nil, partition: ItemValue, sortCondition: SortKeyCondition? = nil,
        limit: Int = StoreLimits.queryPageItems, exclusiveStartKey: Item? = nil, scanForward: Bool = true,
        countOnly: Bool = false, projection: ReadProjection? = nil
    ) {
        self.projection = projection
        self.table = table
        self.index = index
        self.partition = partition
        self.sortCondition = sortCondition
        self.limit = limit
        self.exclusiveStartKey = exclusiveStartKey
        self.scanForward = scanForward
        self.countOnly = countOnly
    }
}

/// The attributes a read needs, for a store to decode nothing else (the embedded store) or to
/// return nothing else. Names are compared as bytes.
public struct ReadProjection: Sendable {
    public let attributes: [String]

    /// Duplicates are dropped (by bytes); the order is kept. A projection names a few of an
    /// entity's attributes, so the check is a scan of those kept so far.
    public init(_ attributes: some Sequence<String>) {
        var unique: [String] = []
        for attribute in attributes where !unique.contains(where: { ItemKey.sameBytes($0, attribute) }) {
            unique.append(attribute)
        }
        self.attributes = unique
    }

    /// Whether the attribute named by these UTF-8 bytes is projected.
    func contains(utf8 name: UnsafeRawBufferPointer) -> Bool {
        attributes.contains { ItemKey.bytes(of: $0, equal: name) }
    }

    public func union(_ other: ReadProjection) -> ReadProjection { ReadProjection(attributes + other.attributes) }
}

/// The result of a projected BatchGetItem.
public struct BatchGetPage: Sendable {
    public var items: [TableKey: Item]
    /// The ``CapacityRules`` size of each whole item read, when the items returned are projected;
    /// `nil` when they are whole.
    public var itemBytes: [TableKey: Int]?

    public init(items: [TableKey: Item], itemBytes: [TableKey: Int]? = nil) {
        self.items = items
        self.itemBytes = itemBytes
    }
}

extension Store {
    /// Whole items: a store that does not project reads everything.
    public func batchGetItem(
        _ keys: [TableKey], projections: [String: ReadProjection]
    ) async throws
        -> BatchGetPage
    {
        BatchGetPage(items: try await batchGetItem(keys))
    }
}

/// One page of a Query.
public struct QueryPage: Sendable {
    public var items: [Item]
    public var count: Int
    /// The key to resume from; `nil` when the partition is exhausted.
    public var lastEvaluatedKey: Item?
    /// The size (``CapacityRules``) of the items a count read without returning them, when the
    /// store knows it; DynamoDB does not say, and reports the units it consumed instead.
    public var evaluatedBytes: Int?

    public init(items: [Item], count: Int? = nil, lastEvaluatedKey: Item?, evaluatedBytes: Int? = nil) {
        self.items = items
        self.count = count ?? items.count
        self.lastEvaluatedKey = lastEvaluatedKey
        self.evaluatedBytes = evaluatedBytes
    }
}

/// A condition a write requires of the item's current state.
public indirect enum WriteCondition: Sendable, Equatable {
    /// The item must exist.
    case exists
    /// The item must not exist.
    case notExists
    /// The attribute must hold the value.
    case attributeEquals(String, ItemValue)
    case all([WriteCondition])
}

/// One action of a transaction.
public enum WriteAction: Sendable {
    case put(table: String, item: Item, condition: WriteCondition?)
    case delete(table: String, key: ItemKey, condition: WriteCondition?)
    case conditionCheck(table: String, key: ItemKey, condition: WriteCondition)

    public var table: String {
        switch self {
        case .put(let table, _, _), .delete(let table, _, _), .conditionCheck(let table, _, _): table
        }
    }
}

/// Why a store request failed.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A transaction's condition failed; `index` is the failing action.
    case conditionFailed(index: Int)
    case unknownTable(String)
    case unknownIndex(table: String, index: String)
    case invalidRequest(String)
    case unavailable(String)
    /// Existing tables whose keys or indexes are not the schema's, one sentence per table.
    case tableMismatch([String])

    public var description: String {
        switch self {
        case .conditionFailed(let index): "condition of write action \(index) failed"
        case .unknownTable(let name): "table `\(name)` does not exist (run `ame tables create`)"
        case .unknownIndex(let table, let index): "index `\(index)` does not exist on table `\(table)`"
        case .invalidRequest(let reason): "invalid store request: \(reason)"
        case .unavailable(let reason): "store unavailable: \(reason)"
        case .tableMismatch(let problems):
            "existing tables do not match the schema, so AME cannot use them (nothing was changed):\n  "
                + problems.joined(separator: "\n  ")
        }
    }
}
