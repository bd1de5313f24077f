/// The loads of one level and what to do with their results.
struct Level {
    var keys: [TableKey] = []
    /// What the level's fields read of each table's items; a table absent here is read whole.
    private(set) var projections: [String: ReadProjection] = [:]
    /// Tables some field of the level reads whole.
    private var wholeTables: Set<String> = []
    var queries: [@Sendable (StoreSession) async throws -> QueryOutcome] = []
    var fills: [(LevelResults) -> Void] = []
    var isEmpty: Bool { keys.isEmpty && queries.isEmpty && fills.isEmpty }

    /// Notes that the level reads `projection` of `table`'s items (whole items when `nil`): the
    /// batch read decodes the union of what the level's fields read of a table.
    mutating func reads(_ table: String, _ projection: ReadProjection?) {
        guard !wholeTables.contains(table) else { return }
        guard let projection else {
            wholeTables.insert(table)
            projections[table] = nil
            return
        }
        projections[table] = projections[table].map { $0.union(projection) } ?? projection
    }

    mutating func query(_ body: @escaping @Sendable (StoreSession) async throws -> QueryOutcome) -> Int {
        queries.append(body)
        return queries.count - 1
    }
}

struct LevelResults {
    var items: [TableKey: Item] = [:]
    var queries: [Result<QueryOutcome, Error>] = []
    var batchError: Error?
}

/// The outcome of a list read: the page of items and how to continue.
struct QueryOutcome: Sendable {
    var items: [Item]
    var lastEvaluatedKey: Item?
    var total: Int?
}

/// The level loader: runs one level's loads (its keys, all tables, deduplicated, by batch reads
/// of at most 100 keys, and its Queries, at most `maxConcurrentQueries` at once), then hands the
/// results to the level's fills in order.
struct LevelLoader {
    let session: StoreSession
    let maxConcurrentQueries: Int

    /// Runs one level's loads: its batch read and its Queries, concurrently.
    func load(_ level: Level) async {
        var results = LevelResults()
        let session = self.session
        session.enterLevel()
        let keys = level.keys
        let queries = level.queries
        // A level of keys only (every belongsTo and `data` level) or of one Query (a root list)
        // awaits it directly: no child tasks to create.
        if queries.isEmpty || (keys.isEmpty && queries.count == 1) {
            do {
                if keys.isEmpty {
                    results.queries = [.success(try await queries[0](session))]
                } else {
                    results.items = try await session.cachedBatchGet(keys, projections: level.projections)
                }
            } catch {
                if keys.isEmpty { results.queries = [.failure(error)] } else { results.batchError = error }
            }
            for fill in level.fills { fill(results) }
            return
        }
        let projections = level.projections
        async let batch: [TableKey: Item] =
            keys.isEmpty ? [:] : session.cachedBatchGet(keys, projections: projections)
        let limit = maxConcurrentQueries
        let outcomes: [Result<QueryOutcome, Error>] = await withTaskGroup(of: (Int, Result<QueryOutcome, Error>).self) {
            group in
            // At most `limit` Queries in flight: a level with many parents does not flood the store.
            var outcomes = [Result<QueryOutcome, Error>?](repeating: nil, count: queries.count)
            let operation = { (index: Int) -> @Sendable () async -> (Int, Result<QueryOutcome, Error>) in
                let query = queries[index]
                return {
                    do { return (index, .success(try await query(session))) } catch { return (index, .failure(error)) }
                }
            }
            var next = 0
            while next < min(limit, queries.count) {
                group.addTask(operation: operation(next))
                next += 1
            }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                if next < queries.count {
                    group.addTask(operation: operation(next))
                    next += 1
                }
            }
            return outcomes.map { $0! }
        }
        do {
            results.items = try await batch
        } catch {
            results.batchError = error
        }
        results.queries = outcomes
        for fill in level.fills { fill(results) }
    }
}
