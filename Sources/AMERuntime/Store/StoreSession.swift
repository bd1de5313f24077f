import Synchronization
import Tracing

/// The store as one request sees it: every call is counted (`storeCalls`, `itemsRead`) for the
/// response's `extensions.cost` and, by operation, in the process metrics
/// (`ame_store_requests_total`, `ame_store_request_duration_seconds`); batch reads larger than
/// DynamoDB's limit are split into chunks sent concurrently.
public final class StoreSession: Sendable {
    public let store: any Store
    /// The entity cache, when enabled: entity reads go through it, writes invalidate it.
    public let cache: HybridCache?
    /// The engine's metric handles, which every call records to.
    public let metrics: RuntimeMetrics
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
        public var unitsByOperation: [String: CapacityUnits] = [:]
    }

    public init(store: any Store, cache: HybridCache? = nil, metrics: RuntimeMetrics) {
        self.store = store
        self.cache = cache
        self.metrics = metrics
    }

    /// Reads keys through the cache when there is one (the executor's reads); else as
    /// ``batchGet(_:)``. Writes and their reads-before-write always go to the store.
    public func cachedBatchGet(_ keys: [TableKey]) async throws -> [TableKey: Item] {
        guard let cache else { return try await batchGet(keys) }
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

    /// Runs one store request, counting it (failed ones too) and the items it returned.
    private func measured<T>(
        _ operation: String, batchSize: Int? = nil, items: (T) -> Int, _ request: () async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        var returned = 0
        defer {
            metrics.recordStoreRequest(operation, duration: ContinuousClock.now - start)
            state.withLock {
                $0.storeCalls += 1
                $0.itemsRead += returned
                $0.callsByOperation[operation, default: 0] += 1
                if let batchSize { $0.batchSizes.append(batchSize) }
            }
        }
        let result = try await withSpan(operation, ofKind: .client) { span in
            if let batchSize { span.attributes["ame.keys"] = batchSize }
            return try await request()
        }
        returned = items(result)
        return result
    }

    public func getItem(table: String, key: ItemKey) async throws -> Item? {
        try await measured("GetItem", items: { $0 == nil ? 0 : 1 }) {
            try await store.getItem(table: table, key: key)
        }
    }

    /// Reads any number of keys: deduplicated, chunked at ``StoreLimits/batchGetKeys``, chunks
    /// issued concurrently.
    public func batchGet(_ keys: [TableKey]) async throws -> [TableKey: Item] {
        var seen = Set<TableKey>()
        let unique = keys.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return [:] }
        let chunkSize = StoreLimits.batchGetKeys
        if unique.count <= chunkSize {
            return try await measured("BatchGetItem", batchSize: unique.count, items: \.count) {
                try await store.batchGetItem(unique)
            }
        }
        return try await withThrowingTaskGroup(of: [TableKey: Item].self) { group in
            for start in stride(from: 0, to: unique.count, by: chunkSize) {
                let chunk = Array(unique[start..<min(start + chunkSize, unique.count)])
                group.addTask {
                    try await self.measured("BatchGetItem", batchSize: chunk.count, items: \.count) {
                        try await self.store.batchGetItem(chunk)
                    }
                }
            }
            var result: [TableKey: Item] = Dictionary(minimumCapacity: unique.count)
            for try await items in group { result.merge(items) { first, _ in first } }
            return result
        }
    }

    public func query(_ request: QueryRequest) async throws -> QueryPage {
        try await measured("Query", items: \.items.count) { try await store.query(request) }
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
                        try await self.measured("BatchWriteItem", items: { _ in 0 }) {
                            try await self.store.batchWriteItem(chunk)
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            await invalidate(requests)
            throw error
        }
        await invalidate(requests)
    }

    /// What a batch write touched leaves the cache (whether or not every chunk committed).
    private func invalidate(_ requests: [BatchWriteRequest]) async {
        guard let cache else { return }
        let actions = requests.map { request -> WriteAction in
            switch request {
            case .put(let table, let item): .put(table: table, item: item, condition: nil)
            case .delete(let table, let key): .delete(table: table, key: key, condition: nil)
            }
        }
        await cache.invalidate(cache.keys(of: actions))
    }

    public func transactWrite(_ actions: [WriteAction]) async throws {
        do {
            try await measured("TransactWriteItems", items: { _ in 0 }) { try await store.transactWriteItems(actions) }
        } catch StoreError.conditionFailed(let index) {
            // Nothing was written.
            throw StoreError.conditionFailed(index: index)
        } catch {
            // The outcome is unknown (it may have committed): invalidate as if it had.
            await cache?.invalidate(cache?.keys(of: actions) ?? [])
            throw error
        }
        // Invalidated before the write is acknowledged: a read after the acknowledgement, in
        // any process, sees the new value.
        await cache?.invalidate(cache?.keys(of: actions) ?? [])
    }
}
