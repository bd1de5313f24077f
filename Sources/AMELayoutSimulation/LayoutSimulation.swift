import AMERuntime

/// How an entity's table and indexes are laid out in DynamoDB.
public enum TableLayout: String, CaseIterable, Sendable {
    /// Keyed (`tenant`, the entity's key); indexes without `global: true` are local secondary
    /// indexes in the tenant's partition, so the tenant's items and their index entries form one
    /// item collection, held by one partition.
    case local
    /// The same table key, no local index: every index is a global secondary index whose
    /// partition key is a composed attribute the write path maintains (the tenant, or the tenant
    /// and the index's `partition:` field).
    case global
}

/// What the table layouts do to one large tenant: its item collection or largest partition key,
/// the partitions it takes, the units per second they can serve, and what each query shape
/// costs. A pure function of the entity's table, one item as the store holds it (with its `data`
/// version and audit record), and the item count; `ame-bench layouts` feeds it the sample data.
///
/// DynamoDB's rules as simulated (``Limits``): an item collection is capped at 10 GB and served
/// by one partition; a partition holds at most 10 GB and serves 3,000 read and 1,000 write units
/// per second; storage adds 100 bytes per item and per index entry; a query reads at most 1 MB
/// per request. Units follow ``CapacityRules``.
public struct LayoutSimulation: Sendable {
    /// DynamoDB's published limits the simulation applies.
    public struct Limits: Sendable, Equatable {
        /// The cap of an item collection (a partition key's items and local index entries).
        public var itemCollectionBytes = 10 * 1_073_741_824
        /// What one partition holds before DynamoDB splits it.
        public var partitionBytes = 10 * 1_073_741_824
        public var partitionReadUnits = 3_000.0
        public var partitionWriteUnits = 1_000.0
        /// The storage overhead of each item and of each index entry.
        public var storageOverheadBytes = 100
        /// What one Query request reads at most (a count reads the tenant in such pages).
        public var queryRequestBytes = 1_048_576
        /// The items of a page in the query shapes.
        public var pageItems = 100

        public init() {}
    }

    /// One entity as measured: its table as the schema declares it (the local layout) and a
    /// stored item of it, with the `data` version and the audit record its upsert writes.
    public struct Sample: Sendable {
        public var entity: String
        /// The entity's table in the local layout (`SchemaRegistry.tableDefinitions`).
        public var table: TableDefinition
        /// An item as the store holds it (the tenant attribute included).
        public var item: Item
        /// For an index with a `partition:` field: the share (0…1] of the tenant's items that hold
        /// its most frequent value, which DynamoDB keeps under one partition key.
        public var largestValueShare: [String: Double]
        /// The upsert's other puts, with their tables: the `data` version (when the entity has
        /// `data`) and the audit record.
        public var companions: [(table: TableDefinition, item: Item)]

        public init(
            entity: String, table: TableDefinition, item: Item, largestValueShare: [String: Double] = [:],
            companions: [(table: TableDefinition, item: Item)]
        ) {
            self.entity = entity
            self.table = table
            self.item = item
            self.largestValueShare = largestValueShare
            self.companions = companions
        }
    }

    /// One index of a row: its entry and what the tenant's entries take.
    public struct IndexFigures: Sendable, Equatable {
        public var name: String
        public var isGlobal: Bool
        /// The entry's size (``CapacityRules/indexEntrySize(_:index:table:)``); 0 when the item
        /// is not in the index (sparse).
        public var entryBytes: Int
        /// The partitions of the index's own; 0 for a local index (it lives in the table's).
        public var partitions: Int
        /// The largest partition key's entries, with their overhead.
        public var largestKeyBytes: Int
        /// A page of ``Limits/pageItems`` entries, strongly consistent for a local index,
        /// eventually consistent for a global one.
        public var pageReadUnits: Double
    }

    /// What a layout does to one entity's tenant of ``items`` items.
    public struct Row: Sendable, Equatable {
        public var entity: String
        public var layout: TableLayout
        public var items: Int
        /// The stored item (in the global layout with its composed index attributes).
        public var itemBytes: Int
        public var indexes: [IndexFigures]
        /// What one item takes in storage: the item and its index entries, each with the overhead.
        public var storedBytesPerItem: Int
        /// Local: the tenant's item collection (its items and local index entries). Global: the
        /// largest partition key's size, of the table or an index.
        public var collectionBytes: Int
        /// Local: the first item count whose item collection passes the cap (writes fail from
        /// there on); `nil` when nothing caps the tenant.
        public var itemsAtCap: Int?
        /// Whether the tenant's writes still succeed at ``items``.
        public var withinCap: Bool { itemsAtCap.map { items < $0 } ?? true }
        /// The table's partitions holding the tenant (local: one, shared with its local indexes).
        public var tablePartitions: Int
        /// The units per second the tenant's partitions can serve: the table's and every global
        /// index's (a local index's share the table's).
        public var readUnitsPerSecond: Double
        public var writeUnitsPerSecond: Double
        /// A GetItem by key.
        public var getReadUnits: Double
        /// A page of ``Limits/pageItems`` items by key order, from the table.
        public var keyPageReadUnits: Double
        /// A count (`total`) of the tenant through the table: its requests and units.
        public var countRequests: Int
        public var countReadUnits: Double
        /// An upsert: one transaction of the item, its index entries, its `data` version and its
        /// audit record.
        public var upsertWriteUnits: Double
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// `table` in `layout`: unchanged in the local one; in the global one every index is global,
    /// partitioned by its composed attribute (as `layout: global` declares them).
    public static func table(_ table: TableDefinition, in layout: TableLayout) -> TableDefinition {
        guard layout == .global else { return table }
        var global = table
        global.indexes = table.indexes.map { index in
            index.isGlobal
                ? index
                : IndexDefinition.global(
                    name: index.name, sortAttribute: index.sortAttribute, sortIsNumber: index.sortIsNumber,
                    projection: index.projection)
        }
        return global
    }

    /// `item` as the write path stores it in `layout`: with the composed partition attribute of
    /// each of its global indexes (every index in the global layout), by the runtime's own rule
    /// (``IndexDefinition/partitionValue(tenant:fieldValue:)``).
    public static func item(_ item: Item, of table: TableDefinition, in layout: TableLayout) -> Item {
        guard let tenant = item[table.partitionAttribute]?.stringValue else { return item }
        var stored = item
        for index in Self.table(table, in: layout).indexes {
            guard let attribute = index.partitionAttribute, attribute != tenantAttribute else { continue }
            stored[attribute] = index.partitionValue(
                tenant: tenant, fieldValue: index.partitionField.flatMap { item[$0] })
        }
        return stored
    }

    /// The row of `sample` in `layout` for a tenant of `items` items.
    public func row(_ sample: Sample, layout: TableLayout, items: Int) -> Row {
        let table = Self.table(sample.table, in: layout)
        let item = Self.item(sample.item, of: sample.table, in: layout)
        let overhead = limits.storageOverheadBytes
        let itemBytes = CapacityRules.size(of: item)
        let tableBytes = items * (itemBytes + overhead)

        var indexes: [IndexFigures] = []
        var collectionPerItem = itemBytes + overhead
        var storedPerItem = itemBytes + overhead
        var readCeiling = 0.0
        var writeCeiling = 0.0
        for (declared, index) in zip(sample.table.indexes, table.indexes) {
            let entry = CapacityRules.indexEntrySize(item, index: index, table: table)
            let entryBytes = entry ?? 0
            let stored = entry.map { $0 + overhead } ?? 0
            storedPerItem += stored
            let pageUnits = CapacityRules.readUnits(bytes: limits.pageItems * entryBytes, consistent: !index.isGlobal)
            guard index.isGlobal else {
                collectionPerItem += stored
                indexes.append(
                    IndexFigures(
                        name: index.name, isGlobal: false, entryBytes: entryBytes, partitions: 0,
                        largestKeyBytes: 0, pageReadUnits: pageUnits))
                continue
            }
            // One partition key per tenant, or per tenant and value for an index with a
            // `partition` field, whose most frequent value is the largest key.
            let share = declared.partitionField == nil ? 1 : sample.largestValueShare[index.name] ?? 1
            let largestKey = Int((Double(items) * share).rounded(.up)) * stored
            let partitions = partitionCount(bytes: items * stored)
            readCeiling += Double(partitions) * limits.partitionReadUnits
            writeCeiling += Double(partitions) * limits.partitionWriteUnits
            indexes.append(
                IndexFigures(
                    name: index.name, isGlobal: true, entryBytes: entryBytes, partitions: partitions,
                    largestKeyBytes: largestKey, pageReadUnits: pageUnits))
        }

        let tablePartitions: Int
        let collectionBytes: Int
        let itemsAtCap: Int?
        switch layout {
        case .local:
            // The item collection stays on one partition, whatever its size.
            tablePartitions = 1
            collectionBytes = items * collectionPerItem
            itemsAtCap = limits.itemCollectionBytes / collectionPerItem + 1
        case .global:
            tablePartitions = partitionCount(bytes: tableBytes)
            collectionBytes = max(tableBytes, indexes.map(\.largestKeyBytes).max() ?? 0)
            itemsAtCap = nil
        }
        readCeiling += Double(tablePartitions) * limits.partitionReadUnits
        writeCeiling += Double(tablePartitions) * limits.partitionWriteUnits

        let count = countUnits(items: items, itemBytes: itemBytes)
        var tables = [table.name: table]
        for companion in sample.companions { tables[companion.table.name] = companion.table }
        let upsert: [WriteAction] =
            [.put(table: table.name, item: item, condition: nil)]
            + sample.companions.map { .put(table: $0.table.name, item: $0.item, condition: nil) }

        return Row(
            entity: sample.entity, layout: layout, items: items, itemBytes: itemBytes, indexes: indexes,
            storedBytesPerItem: storedPerItem, collectionBytes: collectionBytes, itemsAtCap: itemsAtCap,
            tablePartitions: tablePartitions, readUnitsPerSecond: readCeiling, writeUnitsPerSecond: writeCeiling,
            getReadUnits: CapacityRules.readUnits(bytes: itemBytes, consistent: true),
            keyPageReadUnits: CapacityRules.readUnits(bytes: limits.pageItems * itemBytes, consistent: true),
            countRequests: count.requests, countReadUnits: count.units,
            upsertWriteUnits: CapacityRules.write(upsert, tables: tables, transactional: true))
    }

    /// Every sample in each of `layouts`, for each item count: sample by sample, layouts in order.
    public func rows(_ samples: [Sample], layouts: [TableLayout] = TableLayout.allCases, items counts: [Int]) -> [Row] {
        samples.flatMap { sample in
            layouts.flatMap { layout in counts.map { row(sample, layout: layout, items: $0) } }
        }
    }

    /// The most items of a simulated tenant: a thousand times the largest tenant the output
    /// shows, and small enough that its bytes stay far from overflowing.
    public static let maxItems = 100_000_000_000
    /// The most item counts of one run, and the longest text that lists them.
    public static let maxItemCounts = 20
    public static let maxItemCountsText = 400

    /// Why a list of item counts was refused: what is wrong and how to write it.
    public struct ItemCountsError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads a comma-separated list of item counts (`1000000,10000000`), each from 1 to
    /// ``maxItems``, at most ``maxItemCounts`` of them.
    public static func itemCounts(_ text: String) throws(ItemCountsError) -> [Int] {
        let example = "write e.g. 1000000,10000000"
        guard text.utf8.count <= maxItemCountsText else {
            throw ItemCountsError(
                description: "the list is \(text.utf8.count) bytes, more than \(maxItemCountsText); \(example)")
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= maxItemCounts else {
            throw ItemCountsError(description: "\(parts.count) counts, more than \(maxItemCounts); \(example)")
        }
        var counts: [Int] = []
        for part in parts {
            var trimmed = part
            while trimmed.first == " " { trimmed.removeFirst() }
            while trimmed.last == " " { trimmed.removeLast() }
            guard let count = Int(trimmed), (1...maxItems).contains(count) else {
                throw ItemCountsError(description: "`\(part)` is not a count from 1 to \(maxItems); \(example)")
            }
            counts.append(count)
        }
        return counts
    }

    /// The partitions that hold `bytes` (at least one).
    func partitionCount(bytes: Int) -> Int {
        max(1, (bytes + limits.partitionBytes - 1) / limits.partitionBytes)
    }

    /// A count reads the tenant's items in requests of at most 1 MB, each rounded up on its own.
    func countUnits(items: Int, itemBytes: Int) -> (requests: Int, units: Double) {
        guard items > 0 else { return (1, CapacityRules.readUnits(bytes: 0, consistent: true)) }
        let perRequest = max(1, limits.queryRequestBytes / max(itemBytes, 1))
        let full = items / perRequest
        let rest = items % perRequest
        var units = Double(full) * CapacityRules.readUnits(bytes: perRequest * itemBytes, consistent: true)
        if rest > 0 { units += CapacityRules.readUnits(bytes: rest * itemBytes, consistent: true) }
        return (full + (rest > 0 ? 1 : 0), units)
    }
}
