import Synchronization

/// The store as one request sees it: every call is counted (`storeCalls`, `itemsRead`) for the
/// response's `extensions.cost`, and batch reads larger than DynamoDB's limit are split into
/// chunks sent concurrently.
public final class StoreSession: Sendable {
    public let store: any Store
    private let state = Mutex(Counters())

    public struct Counters: Sendable, Equatable {
        public var storeCalls = 0
        public var itemsRead = 0
        /// Calls by operation name (`BatchGetItem`, `Query`, …).
        public var callsByOperation: [String: Int] = [:]
        /// The key count of every BatchGetItem call, in order of issue.
        public var batchSizes: [Int] = []
    }

    public init(store: any Store) {
        self.store = store
    }

    public var counters: Counters { state.withLock { $0 } }

    private func count(_ operation: String, items: Int, batchSize: Int? = nil) {
        state.withLock {
            $0.storeCalls += 1
            $0.itemsRead += items
            $0.callsByOperation[operation, default: 0] += 1
            if let batchSize { $0.batchSizes.append(batchSize) }
        }
    }

    public func getItem(table: String, key: ItemKey) async throws -> Item? {
        let item = try await store.getItem(table: table, key: key)
        count("GetItem", items: item == nil ? 0 : 1)
        return item
    }

    /// Reads any number of keys: deduplicated, chunked at ``StoreLimits/batchGetKeys``, chunks
    /// issued concurrently.
    public func batchGet(_ keys: [TableKey]) async throws -> [TableKey: Item] {
        var seen = Set<TableKey>()
        let unique = keys.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return [:] }
        let chunkSize = StoreLimits.batchGetKeys
        if unique.count <= chunkSize {
            let items = try await store.batchGetItem(unique)
            count("BatchGetItem", items: items.count, batchSize: unique.count)
            return items
        }
        return try await withThrowingTaskGroup(of: [TableKey: Item].self) { group in
            for start in stride(from: 0, to: unique.count, by: chunkSize) {
                let chunk = Array(unique[start..<min(start + chunkSize, unique.count)])
                group.addTask {
                    let items = try await self.store.batchGetItem(chunk)
                    self.count("BatchGetItem", items: items.count, batchSize: chunk.count)
                    return items
                }
            }
            var result: [TableKey: Item] = Dictionary(minimumCapacity: unique.count)
            for try await items in group { result.merge(items) { first, _ in first } }
            return result
        }
    }

    public func query(_ request: QueryRequest) async throws -> QueryPage {
        let page = try await store.query(request)
        count("Query", items: page.items.count)
        return page
    }

    public func transactWrite(_ actions: [WriteAction]) async throws {
        try await store.transactWriteItems(actions)
        count("TransactWriteItems", items: 0)
    }
}
