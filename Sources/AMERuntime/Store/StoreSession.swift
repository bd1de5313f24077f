import Synchronization
import Tracing

/// The store as one request sees it: every call is counted (`storeCalls`, `itemsRead`, capacity
/// units) for the response's `extensions.cost` and, by operation, in the process metrics
/// (`ame_store_requests_total`, `ame_store_request_duration_seconds`); batch reads larger than
/// DynamoDB's limit are split into chunks sent concurrently.
public final class StoreSession: Sendable {
    public let store: any Store
    /// The entity cache, when enabled: entity reads go through it, writes invalidate it.
    public let cache: HybridCache?
    /// The engine's metric handles, which every call records to.
    public let metrics: RuntimeMetrics
    /// The tables' definitions, by name: which indexes a write maintains and which reads are
    /// eventually consistent (global indexes), for the capacity units.
    let tables: [String: TableDefinition]
    /// Whether every call is recorded for `extensions.plan`.
    let recordsOperations: Bool
    /// Where writes to tables with global indexes are remembered, for the reads of those indexes
    /// that follow; `nil` to remember nothing.
    let recentWrites: RecentWrites?
    private let state = Mutex(Counters())

    public struct Counters: Sendable, Equatable {
        public var storeCalls = 0
        public var itemsRead = 0
        /// Calls by operation name (`BatchGetItem`, `Query`, …).
        public var callsByOperation: [String: Int] = [:]
        /// The key count of every BatchGetItem call, in order of issue.
        public var batchSizes: [Int] = []
        /// Items (or their absence) served by the cache instead of the store.
        public var cacheHits = 0
        /// Items read only to be tested by a filter no index serves (kept or dropped).
        public var itemsScanned = 0
        /// The capacity units of every call, by ``CapacityRules``.
        public var units = CapacityUnits.zero
        /// The same units by operation name.
        public var unitsByOperation: [String: CapacityUnits] = [:]
        /// The units the store reported it consumed (DynamoDB's `ConsumedCapacity`); `nil` when
        /// it reported none (the embedded store).
        public var consumedUnits: CapacityUnits?
        /// What the calls cost the operator, call by call: the units the store reported where it
        /// reported them, else the computed ones (what rate limits charge).
        public var billedUnits = CapacityUnits.zero
        /// The executor's level the calls now belong to (0: before the first level, such as a
        /// mutation's writes).
        public var level = 0
        /// Every call, in order of completion, when the request asked for its plan (at most
        /// ``StoreSession/maxRecordedOperations``).
        public var operations: [StoreOperationRecord] = []
        /// Calls left out of `operations` past its cap.
        public var operationsNotRecorded = 0
    }

    /// The most calls `extensions.plan` lists; the rest are counted.
    public static let maxRecordedOperations = 1000

    public init(
        store: any Store, cache: HybridCache? = nil, metrics: RuntimeMetrics, tables: [TableDefinition] = [],
        recordsOperations: Bool = false, recentWrites: RecentWrites? = nil
    ) {
        self.recentWrites = recentWrites
        self.store = store
        self.cache = cache
        self.metrics = metrics
        self.tables = Dictionary(tables.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        self.recordsOperations = recordsOperations
    }

    /// The calls from now on belong to the executor's next level.
    func enterLevel() { state.withLock { $0.level += 1 } }

    /// Reads keys through the cache when there is one (the executor's reads); else as
    /// ``batchGet(_:)``. Writes and their reads-before-write always go to the store.
    ///
    /// `projections` name the attributes the executor reads of a table's items; the store may
    /// decode only those. The cache keeps whole items, so reads through it are not projected.
    public func cachedBatchGet(
        _ keys: [TableKey], projections: [String: ReadProjection] = [:]
    ) async throws
        -> [TableKey: Item]
    {
        guard let cache else { return try await batchGet(keys, projections: projections) }
        let (items, hits) = try await cache.read(keys, session: self)
        state.withLock { $0.cacheHits += hits }
        return items
    }

    public var counters: Counters { state.withLock { $0 } }

    /// Counts `count` items a filter no index serves has tested, and refuses to go on once the
    /// request's scans pass `budget` (`AME_MAX_SCAN_ITEMS`): a list that must read a tenant's
    /// partition to fill a page is an error that says so, never a silent long scan.
    func scanned(_ count: Int, budget: Int, filters: [String], index: String?) throws(AMEError) {
        let total = state.withLock { counters in
            counters.itemsScanned += count
            return counters.itemsScanned
        }
        guard total > budget else { return }
        throw AMEError.queryTooExpensive(scanned: total, budget: budget, filters: filters, index: index)
    }

    /// Runs one store request, counting it (failed ones too), the items it returned and its
    /// capacity units: by ``CapacityRules`` from what it read or wrote (`units`; `nil` when only
    /// the store knows, as for a DynamoDB count) and as the store reported them.
    private func measured<T>(
        _ operation: String, target: StoreOperationRecord.Target, batchSize: Int? = nil, items: (T) -> Int,
        units: (T) -> CapacityUnits?, _ request: () async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        var returned = 0
        var computed: CapacityUnits? = .zero
        let meter = CapacityMeter()
        defer {
            metrics.recordStoreRequest(operation, duration: ContinuousClock.now - start)
            let reported = meter.reported
            let charged = computed ?? reported ?? .zero
            state.withLock {
                $0.storeCalls += 1
                $0.itemsRead += returned
                $0.callsByOperation[operation, default: 0] += 1
                if let batchSize { $0.batchSizes.append(batchSize) }
                $0.units += charged
                $0.unitsByOperation[operation, default: .zero] += charged
                if let reported { $0.consumedUnits = ($0.consumedUnits ?? .zero) + reported }
                $0.billedUnits += reported ?? charged
                guard recordsOperations else { return }
                guard $0.operations.count < Self.maxRecordedOperations else {
                    $0.operationsNotRecorded += 1
                    return
                }
                $0.operations.append(
                    StoreOperationRecord(
                        level: $0.level, operation: operation, target: target, keys: batchSize, items: returned,
                        units: charged, consumedUnits: reported))
            }
        }
        let result = try await withSpan(operation, ofKind: .client) { span in
            // A span that records nothing (no tracer) is not given attributes: setting one copies
            // its attributes into a new dictionary.
            if let batchSize, span.isRecording { span.attributes["ame.keys"] = batchSize }
            return try await CapacityMeter.$current.withValue(meter) { try await request() }
        }
        returned = items(result)
        computed = units(result)
        return result
    }

    public func getItem(table: String, key: ItemKey) async throws -> Item? {
        try await measured(
            "GetItem", target: .table(table, index: nil), items: { $0 == nil ? 0 : 1 },
            units: {
                CapacityUnits(read: CapacityRules.readUnits(bytes: $0.map(CapacityRules.size) ?? 0, consistent: true))
            }
        ) {
            try await store.getItem(table: table, key: key)
        }
    }

    /// Reads any number of keys: deduplicated, chunked at ``StoreLimits/batchGetKeys``, chunks
    /// issued concurrently.
    public func batchGet(
        _ keys: [TableKey], projections: [String: ReadProjection] = [:]
    ) async throws
        -> [TableKey: Item]
    {
        var seen = Set<TableKey>(minimumCapacity: keys.count)
        let unique = keys.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return [:] }
        let chunkSize = StoreLimits.batchGetKeys
        if unique.count <= chunkSize { return try await batchGetChunk(unique, projections: projections) }
        return try await withThrowingTaskGroup(of: [TableKey: Item].self) { group in
            for start in stride(from: 0, to: unique.count, by: chunkSize) {
                let chunk = Array(unique[start..<min(start + chunkSize, unique.count)])
                group.addTask { try await self.batchGetChunk(chunk, projections: projections) }
            }
            var result: [TableKey: Item] = Dictionary(minimumCapacity: unique.count)
            for try await items in group { result.merge(items) { first, _ in first } }
            return result
        }
    }

    /// One BatchGetItem of at most ``StoreLimits/batchGetKeys`` distinct keys.
    private func batchGetChunk(
        _ keys: [TableKey], projections: [String: ReadProjection]
    ) async throws
        -> [TableKey: Item]
    {
        let tables = Set(keys.map(\.table)).sorted()
        return try await measured(
            "BatchGetItem", target: .tables(tables), batchSize: keys.count, items: \.items.count,
            units: { page in
                // Units are those of the whole items read, whatever the projection returned.
                guard let bytes = page.itemBytes else {
                    return CapacityUnits(read: CapacityRules.batchGet(keys, found: page.items))
                }
                return CapacityUnits(read: CapacityRules.batchGet(keys, bytes: bytes))
            }
        ) {
            try await store.batchGetItem(keys, projections: projections)
        }.items
    }

    /// The items of a global index's entries as they are now, read by key (strongly consistent):
    /// an entry may lag a write, so an item updated since is seen as written, and one deleted is
    /// `nil`. In the order of `entries`.
    func currentItems(of entries: [Item], in table: TableDefinition) async throws -> [Item?] {
        guard !entries.isEmpty else { return [] }
        let keys = entries.map { entry -> TableKey? in
            guard case .string(let partition)? = entry[table.partitionAttribute],
                case .string(let sort)? = entry[table.sortAttribute]
            else { return nil }
            return TableKey(table: table.name, key: ItemKey(partition: partition, sort: sort))
        }
        let items = try await batchGet(keys.compactMap { $0 })
        return keys.map { $0.flatMap { items[$0] } }
    }

    /// The entries a Query of `request` returned, as the items are now: through a global index
    /// (eventually consistent) they are read again by key (``currentItems(of:in:)``) and those
    /// deleted since are dropped; through the table or a local index they are returned as read.
    func currentItems(of entries: [Item], readBy request: QueryRequest) async throws -> [Item] {
        guard let table = tables[request.table], let index = request.index.flatMap(table.index(named:)),
            index.isGlobal
        else { return entries }
        return try await currentItems(of: entries, in: table).compactMap { $0 }
    }

    public func query(_ request: QueryRequest) async throws -> QueryPage {
        // Global indexes are read eventually consistent, everything else strongly.
        let consistent = request.index.flatMap { tables[request.table]?.index(named: $0) }.map { !$0.isGlobal } ?? true
        return try await measured(
            "Query", target: .table(request.table, index: request.index), items: \.items.count,
            units: { page in
                guard
                    let bytes = page.evaluatedBytes
                        ?? (request.countOnly ? nil : page.items.reduce(0) { $0 + CapacityRules.size(of: $1) })
                else { return nil }
                return CapacityUnits(read: CapacityRules.query(bytes: bytes, consistent: consistent))
            }
        ) { try await store.query(request) }
    }

    /// Counts the items matching a Query, page by page (DynamoDB counts at most 1 MB per request).
    public func count(_ request: QueryRequest) async throws -> Int {
        var request = request
        request.countOnly = true
        request.exclusiveStartKey = nil
        var total = 0
        repeat {
            let page = try await query(request)
            total += page.count
            request.exclusiveStartKey = page.lastEvaluatedKey
        } while request.exclusiveStartKey != nil
        return total
    }

    /// Writes any number of puts and deletes: chunked at ``StoreLimits/batchWriteItems``, chunks
    /// issued concurrently.
    public func batchWrite(_ requests: [BatchWriteRequest]) async throws {
        let chunkSize = StoreLimits.batchWriteItems
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for start in stride(from: 0, to: requests.count, by: chunkSize) {
                    let chunk = Array(requests[start..<min(start + chunkSize, requests.count)])
                    group.addTask {
                        try await self.measured(
                            "BatchWriteItem", target: .tables(Set(chunk.map(\.table)).sorted()),
                            batchSize: chunk.count, items: { _ in 0 },
                            units: { _ in
                                CapacityUnits(
                                    write: CapacityRules.write(
                                        chunk.map(\.action), tables: self.tables, transactional: false))
                            }
                        ) {
                            try await self.store.batchWriteItem(chunk)
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            await committed(requests.map(\.action))
            throw error
        }
        await committed(requests.map(\.action))
    }

    /// What a write that may have committed touched leaves the cache, and is remembered for the
    /// reads of global indexes. Done before the write is acknowledged: a read after the
    /// acknowledgement, in any process, sees the new value.
    private func committed(_ actions: [WriteAction]) async {
        await recentWrites?.record(actions)
        await cache?.invalidate(cache?.keys(of: actions) ?? [])
    }

    public func transactWrite(_ actions: [WriteAction]) async throws {
        do {
            try await measured(
                "TransactWriteItems", target: .tables(Set(actions.map(\.table)).sorted()), batchSize: actions.count,
                items: { _ in 0 },
                units: { _ in
                    CapacityUnits(write: CapacityRules.write(actions, tables: tables, transactional: true))
                }
            ) { try await store.transactWriteItems(actions) }
        } catch StoreError.conditionFailed(let index) {
            // Nothing was written.
            throw StoreError.conditionFailed(index: index)
        } catch {
            // The outcome is unknown (it may have committed): treated as if it had.
            await committed(actions)
            throw error
        }
        await committed(actions)
    }
}

/// One store call as `extensions.plan` lists it.
public struct StoreOperationRecord: Sendable, Equatable {
    /// What a call read or wrote: one table (or one of its indexes), or several tables at once.
    public enum Target: Sendable, Equatable {
        case table(String, index: String?)
        case tables([String])
    }

    public var level: Int
    public var operation: String
    public var target: Target
    /// The keys of a BatchGetItem, the actions of a write; `nil` for a Query.
    public var keys: Int?
    public var items: Int
    public var units: CapacityUnits
    public var consumedUnits: CapacityUnits?

    public var json: JSONValue {
        var object: JSONObject = ["operation": .string(operation), "items": .int(items)]
        switch target {
        case .table(let table, let index):
            object["table"] = .string(table)
            if let index { object["index"] = .string(index) }
        case .tables(let tables): object["tables"] = .array(tables.map(JSONValue.string))
        }
        if let keys { object["keys"] = .int(keys) }
        object["readUnits"] = .double(units.read)
        object["writeUnits"] = .double(units.write)
        if let consumedUnits {
            object["consumedReadUnits"] = .double(consumedUnits.read)
            object["consumedWriteUnits"] = .double(consumedUnits.write)
        }
        return .object(object)
    }
}

/// Where a store reports the capacity it was told it consumed, for the call under way
/// (``StoreSession`` binds one per call; chunks sent from child tasks report to it too).
final class CapacityMeter: Sendable {
    @TaskLocal static var current: CapacityMeter?
    private let total = Mutex<CapacityUnits?>(nil)

    /// Adds units the store was told it consumed.
    static func report(_ units: CapacityUnits) {
        current?.total.withLock { $0 = ($0 ?? .zero) + units }
    }

    var reported: CapacityUnits? { total.withLock { $0 } }
}

extension BatchWriteRequest {
    /// The same write as a (condition-less) transaction action.
    var action: WriteAction {
        switch self {
        case .put(let table, let item): .put(table: table, item: item, condition: nil)
        case .delete(let table, let key): .delete(table: table, key: key, condition: nil)
        }
    }
}
