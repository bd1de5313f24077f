import Synchronization

/// The embedded store: SQLite on local disk (WAL, synchronous commits) or in memory for tests.
///
/// Items live in one `items` table keyed by (table, partition, sort) with a compact binary body;
/// each secondary index is materialised in `index_entries` in the same transaction as the write,
/// so index reads are always consistent with the table.
///
/// One connection writes; reads of a file-backed store go to a pool of reader connections, which
/// WAL lets run while a write is in progress. A read takes only its reader and a snapshot of the
/// catalogue, never the writer's lock, so it does not wait for a commit's fsync. SQLite's
/// blocking calls run on the store's own threads (`StoreThreads`), never on the concurrency
/// runtime's threads; the store offers those threads as its ``taskExecutor``, so an operation
/// run there reads in place.
public final class SQLiteStore: Store {
    private let state: Mutex<State>
    /// The table definitions, as of the last committed change: what reads use.
    private let catalogue: Mutex<[String: TableDefinition]>
    private let readers: [ReaderConnection]
    private let nextReader = Atomic<Int>(0)
    private let threads: StoreThreads

    /// How many reader connections a file-backed store opens.
    public static let readerCount = 4

    private struct State: ~Copyable {
        let connection: SQLiteConnection
        var tables: [String: TableDefinition]
    }

    /// Opens (creating if needed) the store in the file at `path`, or in memory when `path` is nil.
    public convenience init(path: String?) throws {
        try self.init(path: path, readers: path == nil ? 0 : Self.readerCount)
    }

    init(path: String?, readers readerCount: Int, threads: StoreThreads = .shared) throws {
        self.threads = threads
        let connection = try SQLiteConnection(path: path ?? ":memory:")
        if path != nil {
            try connection.execute("PRAGMA journal_mode=WAL")
        }
        // FULL: a transaction acknowledged to a client survives a crash or power loss.
        try connection.execute("PRAGMA synchronous=FULL")
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS ame_tables(name TEXT PRIMARY KEY, definition BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS items(
                tbl TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL, body BLOB NOT NULL,
                PRIMARY KEY(tbl, pk, sk)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS index_entries(
                tbl TEXT NOT NULL, idx TEXT NOT NULL, ipk TEXT NOT NULL, isk ANY NOT NULL,
                pk TEXT NOT NULL, sk TEXT NOT NULL,
                PRIMARY KEY(tbl, idx, ipk, isk, pk, sk)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS index_entries_by_item ON index_entries(tbl, pk, sk);
            """
        )
        var tables: [String: TableDefinition] = [:]
        try connection.query("SELECT definition FROM ame_tables", []) { row in
            let definition = try row.withBlob(0) { try TableDefinition(item: ItemCodec.decode($0)) }
            tables[definition.name] = definition
        }
        state = Mutex(State(connection: connection, tables: tables))
        catalogue = Mutex(tables)
        readers = try (0..<readerCount).map { _ in
            let reader = try SQLiteConnection(path: path!)
            try reader.execute("PRAGMA query_only=1")
            return ReaderConnection(reader)
        }
    }

    /// Runs a read on a reader connection (the writer's for an in-memory store), off the
    /// concurrency runtime's threads.
    private func read<T: Sendable>(
        _ body: @Sendable (SQLiteConnection, [String: TableDefinition]) throws -> T
    ) async throws -> T {
        try await threads.run { [self] in
            let tables = catalogue.withLock { $0 }
            // In memory there is one connection: reads share the writer's.
            if readers.isEmpty { return try state.withLock { try body($0.connection, tables) } }
            let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count
            return try readers[index].connection.withLock { try body($0, tables) }
        }
    }

    /// Runs a write on the writer connection, off the concurrency runtime's threads.
    private func write<T: Sendable>(_ body: @Sendable (inout State) throws -> T) async throws -> T {
        try await threads.run { [self] in try state.withLock { try body(&$0) } }
    }

    /// The threads SQLite's calls run on: an operation that runs there makes them in place.
    public var taskExecutor: (any TaskExecutor)? { threads }

    /// Runs `body` while the writer holds an open write transaction (rolled back after), as a
    /// write in progress does: what a read must not wait for.
    func whileWriting<T>(_ body: () throws -> T) throws -> T {
        try state.withLock { state in
            try state.connection.execute("BEGIN IMMEDIATE")
            defer { try? state.connection.execute("ROLLBACK") }
            return try body()
        }
    }

    /// How many prepared statements the store's connections hold.
    var preparedStatementCount: Int {
        state.withLock { $0.connection.preparedStatementCount }
            + readers.reduce(0) { $0 + $1.connection.withLock { $0.preparedStatementCount } }
    }

    /// Folds the write-ahead log into the database file, so that a stopped store is one file.
    public func close() async {
        try? await write { state in try state.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    // MARK: Tables

    public func createTable(_ table: TableDefinition) async throws {
        try await write { state in
            if state.tables[table.name] == table { return }
            if let existing = state.tables[table.name] {
                // Indexes added to the schema are built from the existing items, which first get
                // the composed partition of each global index they lack (stored before it was
                // declared), as the write path would have stored it.
                try state.connection.execute("BEGIN IMMEDIATE")
                do {
                    try state.connection.run("DELETE FROM index_entries WHERE tbl = ?", [.text(table.name)])
                    var items: [Item] = []
                    try state.connection.query("SELECT body FROM items WHERE tbl = ?", [.text(existing.name)]) { row in
                        items.append(try row.withBlob(0) { try ItemCodec.decode($0) })
                    }
                    for var item in items {
                        if Self.composeMissingPartitions(of: &item, table: table),
                            case .string(let partition)? = item[table.partitionAttribute],
                            case .string(let sort)? = item[table.sortAttribute]
                        {
                            try state.connection.run(
                                "UPDATE items SET body = ? WHERE tbl = ? AND pk = ? AND sk = ?",
                                [.blob(ItemCodec.encode(item)), .text(table.name), .text(partition), .text(sort)])
                        }
                        try Self.writeIndexEntries(item, table: table, connection: state.connection)
                    }
                    try Self.saveDefinition(table, connection: state.connection)
                    try state.connection.execute("COMMIT")
                } catch {
                    try? state.connection.execute("ROLLBACK")
                    throw error
                }
            } else {
                try Self.saveDefinition(table, connection: state.connection)
            }
            state.tables[table.name] = table
            self.catalogue.withLock { $0[table.name] = table }
        }
    }

    private static func saveDefinition(_ table: TableDefinition, connection: SQLiteConnection) throws {
        try connection.run(
            "INSERT OR REPLACE INTO ame_tables(name, definition) VALUES(?, ?)",
            [.text(table.name), .blob(ItemCodec.encode(table.item))]
        )
    }

    public func deleteTable(named name: String) async throws {
        try await write { state in
            try state.connection.execute("BEGIN IMMEDIATE")
            do {
                try state.connection.run("DELETE FROM items WHERE tbl = ?", [.text(name)])
                try state.connection.run("DELETE FROM index_entries WHERE tbl = ?", [.text(name)])
                try state.connection.run("DELETE FROM ame_tables WHERE name = ?", [.text(name)])
                try state.connection.execute("COMMIT")
            } catch {
                try? state.connection.execute("ROLLBACK")
                throw error
            }
            state.tables[name] = nil
            self.catalogue.withLock { $0[name] = nil }
        }
    }

    public func listTables() async throws -> [String] {
        catalogue.withLock { $0.keys.sorted() }
    }

    /// The table as the catalogue records it (every key is a string here).
    public func describeTable(named name: String) async throws -> TableDescription? {
        catalogue.withLock { $0[name] }?.expectedDescription
    }

    /// An index added to the schema is built from the table's items by ``createTable(_:)``.
    public var buildsAddedIndexes: Bool { true }

    // MARK: Reads

    public func getItem(table: String, key: ItemKey) async throws -> Item? {
        try await read { connection, tables in
            guard tables[table] != nil else { throw StoreError.unknownTable(table) }
            return try Self.read(table: table, key: key, connection: connection)
        }
    }

    public func batchGetItem(_ keys: [TableKey]) async throws -> [TableKey: Item] {
        try await batchRead(keys, projections: [:], sized: false).items
    }

    /// Decodes only the projected attributes of each table's items, and reports the size of the
    /// whole items, from which their read units are computed.
    public func batchGetItem(
        _ keys: [TableKey], projections: [String: ReadProjection]
    ) async throws
        -> BatchGetPage
    {
        try await batchRead(keys, projections: projections, sized: !projections.isEmpty)
    }

    /// The batch read behind both: `projections` per table, the whole items' sizes when `sized`.
    private func batchRead(
        _ keys: [TableKey], projections: [String: ReadProjection], sized: Bool
    ) async throws -> BatchGetPage {
        try StoreLimits.checkBatchGet(keys)
        return try await read { connection, tables in
            var page = BatchGetPage(items: Dictionary(minimumCapacity: keys.count), itemBytes: sized ? [:] : nil)
            // One read transaction for the batch: one snapshot, and no transaction per key.
            if keys.count > 1 { try connection.execute("BEGIN") }
            do {
                for key in keys {
                    guard tables[key.table] != nil else { throw StoreError.unknownTable(key.table) }
                    if let (item, bytes) = try Self.read(
                        table: key.table, key: key.key, keeping: projections[key.table], sized: sized,
                        connection: connection)
                    {
                        page.items[key] = item
                        page.itemBytes?[key] = bytes
                    }
                }
            } catch {
                if keys.count > 1 { try? connection.execute("ROLLBACK") }
                throw error
            }
            if keys.count > 1 { try connection.execute("COMMIT") }
            return page
        }
    }

    private static func read(table: String, key: ItemKey, connection: SQLiteConnection) throws -> Item? {
        try read(table: table, key: key, keeping: nil, sized: false, connection: connection)?.item
    }

    /// One item by key: its projected attributes (all of them when `projection` is `nil`) and,
    /// when `sized`, the size of the whole item (else 0).
    private static func read(
        table: String, key: ItemKey, keeping projection: ReadProjection?, sized: Bool, connection: SQLiteConnection
    ) throws -> (item: Item, bytes: Int)? {
        var found: (Item, Int)?
        try connection.query(
            "SELECT body FROM items WHERE tbl = ? AND pk = ? AND sk = ?",
            [.text(table), .text(key.partition), .text(key.sort)]
        ) { row in
            found = try row.withBlob(0) { try ItemCodec.decode($0, keeping: projection, sizing: sized) }
        }
        return found
    }

    /// The rows of a Query page: the projected attributes and the key attributes `keys` (what
    /// the page's `lastEvaluatedKey` is made of), and the size of the whole items when projected
    /// (`nil` otherwise). The extra row read to learn whether more follow is not sized.
    private static func pageRows(
        _ sql: String, _ bindings: [SQLiteValue], request: QueryRequest, keys: [String], connection: SQLiteConnection
    ) throws -> (items: [Item], bytes: Int?) {
        var items: [Item] = []
        let projection = request.projection.map { $0.union(ReadProjection(keys)) }
        var bytes = projection == nil ? nil : 0
        try connection.query(sql, bindings) { row in
            let sizing = bytes != nil && items.count < request.limit
            let (item, size) = try row.withBlob(0) { try ItemCodec.decode($0, keeping: projection, sizing: sizing) }
            if sizing { bytes! += size }
            items.append(item)
        }
        return (items, bytes)
    }

    public func query(_ request: QueryRequest) async throws -> QueryPage {
        guard request.limit > 0 else { throw StoreError.invalidRequest("Query limit must be positive") }
        return try await read { connection, tables in
            guard let table = tables[request.table] else { throw StoreError.unknownTable(request.table) }
            if let indexName = request.index {
                guard let index = table.index(named: indexName) else {
                    throw StoreError.unknownIndex(table: request.table, index: indexName)
                }
                return try Self.queryIndex(request, table: table, index: index, connection: connection)
            }
            return try Self.queryTable(request, table: table, connection: connection)
        }
    }

    private static func queryTable(
        _ request: QueryRequest, table: TableDefinition, connection: SQLiteConnection
    ) throws
        -> QueryPage
    {
        guard case .string(let partition) = request.partition else {
            throw StoreError.invalidRequest("the partition value of `\(table.name)` must be a string")
        }
        var sql = "FROM items WHERE tbl = ? AND pk = ?"
        var bindings: [SQLiteValue] = [.text(table.name), .text(partition)]
        if let condition = request.sortCondition {
            try appendCondition(condition, column: "sk", numeric: false, sql: &sql, bindings: &bindings)
        }
        if request.countOnly { return try count("SELECT body ", sql, bindings, connection: connection) }
        if let start = request.exclusiveStartKey {
            guard case .string(let startSort)? = start[table.sortAttribute] else {
                throw StoreError.invalidRequest("exclusiveStartKey lacks `\(table.sortAttribute)`")
            }
            sql += request.scanForward ? " AND sk > ?" : " AND sk < ?"
            bindings.append(.text(startSort))
        }
        // The limit is bound, so that every limit shares one prepared statement.
        sql += " ORDER BY sk \(request.scanForward ? "ASC" : "DESC") LIMIT ?"
        bindings.append(.integer(request.limit + 1))
        let (items, bytes) = try pageRows(
            "SELECT body " + sql, bindings, request: request, keys: [table.partitionAttribute, table.sortAttribute],
            connection: connection)
        return page(items, limit: request.limit, bytes: bytes) { table.key(of: $0) }
    }

    private static func queryIndex(
        _ request: QueryRequest, table: TableDefinition, index: IndexDefinition, connection: SQLiteConnection
    ) throws -> QueryPage {
        guard let partition = indexText(request.partition) else {
            throw StoreError.invalidRequest("the partition value of index `\(index.name)` must be a string or number")
        }
        var sql = """
            FROM index_entries e JOIN items i ON i.tbl = e.tbl AND i.pk = e.pk AND i.sk = e.sk
            WHERE e.tbl = ? AND e.idx = ? AND e.ipk = ?
            """
        var bindings: [SQLiteValue] = [.text(table.name), .text(index.name), .text(partition)]
        if let condition = request.sortCondition {
            try appendCondition(condition, column: "e.isk", numeric: index.sortIsNumber, sql: &sql, bindings: &bindings)
        }
        if request.countOnly { return try count("SELECT i.body ", sql, bindings, connection: connection) }
        if let start = request.exclusiveStartKey {
            guard let startSort = start[index.sortAttribute].flatMap({ sqliteValue($0, numeric: index.sortIsNumber) }),
                case .string(let startPartition)? = start[tenantAttribute],
                case .string(let startKey)? = start[table.sortAttribute]
            else {
                throw StoreError.invalidRequest("exclusiveStartKey does not belong to index `\(index.name)`")
            }
            sql += request.scanForward ? " AND (e.isk, e.pk, e.sk) > (?, ?, ?)" : " AND (e.isk, e.pk, e.sk) < (?, ?, ?)"
            bindings += [startSort, .text(startPartition), .text(startKey)]
        }
        let order = request.scanForward ? "ASC" : "DESC"
        sql += " ORDER BY e.isk \(order), e.pk \(order), e.sk \(order) LIMIT ?"
        bindings.append(.integer(request.limit + 1))
        let (items, bytes) = try pageRows(
            "SELECT i.body " + sql, bindings, request: request,
            keys: [
                table.partitionAttribute, table.sortAttribute, index.partitionAttribute ?? tenantAttribute,
                index.sortAttribute,
            ],
            connection: connection)
        return page(items, limit: request.limit, bytes: bytes) { table.key(of: $0, index: index.name) }
    }

    /// Scan: the table's items in key order (partition, then sort key); a segment holds the
    /// partitions whose stable hash falls in it, so a tenant's items are in one segment, as
    /// DynamoDB hashes its partitions.
    public func scan(_ request: ScanRequest) async throws -> ScanPage {
        try request.check()
        return try await read { connection, tables in
            guard let table = tables[request.table] else { throw StoreError.unknownTable(request.table) }
            var after: (String, String)?
            if let start = request.exclusiveStartKey {
                guard case .string(let partition)? = start[table.partitionAttribute],
                    case .string(let sort)? = start[table.sortAttribute]
                else { throw StoreError.invalidRequest("exclusiveStartKey does not belong to table `\(table.name)`") }
                after = (partition, sort)
            }
            // Other segments' rows are read and skipped: a chunk holds about a page of this one.
            let chunk = min(request.limit * request.totalSegments, 10 * StoreLimits.queryPageItems)
            var items: [Item] = []
            while items.count <= request.limit {
                var rows = 0
                var last: (String, String)?
                var bindings: [SQLiteValue] = [.text(table.name)]
                var sql = "SELECT pk, sk, body FROM items WHERE tbl = ?"
                if let after {
                    sql += " AND (pk, sk) > (?, ?)"
                    bindings += [.text(after.0), .text(after.1)]
                }
                sql += " ORDER BY pk, sk LIMIT ?"
                bindings.append(.integer(chunk))
                try connection.query(sql, bindings) { row in
                    rows += 1
                    let partition = row.text(0)
                    last = (partition, row.text(1))
                    guard items.count <= request.limit,
                        Self.segment(ofPartition: partition, in: request.totalSegments) == request.segment
                    else { return }
                    items.append(try row.withBlob(2) { try ItemCodec.decode($0) })
                }
                guard rows == chunk, let last else { break }
                after = last
            }
            guard items.count > request.limit else { return ScanPage(items: items, lastEvaluatedKey: nil) }
            let kept = Array(items.prefix(request.limit))
            return ScanPage(items: kept, lastEvaluatedKey: table.key(of: kept[kept.count - 1]))
        }
    }

    /// The segment of a partition among `count`: FNV-1a of its bytes, the same on every run.
    static func segment(ofPartition partition: String, in count: Int) -> Int {
        guard count > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in partition.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }

    /// A count, with the size of the items counted: DynamoDB charges a count for every item it
    /// reads, as if it returned them.
    private static func count(
        _ select: String, _ sql: String, _ bindings: [SQLiteValue], connection: SQLiteConnection
    ) throws -> QueryPage {
        var count = 0
        var bytes = 0
        try connection.query(select + sql, bindings) { row in
            count += 1
            bytes += try row.withBlob(0) { try ItemCodec.capacitySize($0) }
        }
        return QueryPage(items: [], count: count, lastEvaluatedKey: nil, evaluatedBytes: bytes)
    }

    private static func page(_ items: [Item], limit: Int, bytes: Int? = nil, key: (Item) -> Item) -> QueryPage {
        guard items.count > limit else { return QueryPage(items: items, lastEvaluatedKey: nil, evaluatedBytes: bytes) }
        let kept = Array(items.prefix(limit))
        return QueryPage(items: kept, lastEvaluatedKey: key(kept[kept.count - 1]), evaluatedBytes: bytes)
    }

    private static func appendCondition(
        _ condition: SortKeyCondition, column: String, numeric: Bool, sql: inout String, bindings: inout [SQLiteValue]
    ) throws {
        func bind(_ value: ItemValue) throws -> SQLiteValue {
            guard let bound = sqliteValue(value, numeric: numeric) else {
                throw StoreError.invalidRequest("a sort key condition value must be a \(numeric ? "number" : "string")")
            }
            return bound
        }
        switch condition {
        case .equals(let value):
            sql += " AND \(column) = ?"
            bindings.append(try bind(value))
        case .lessThan(let value):
            sql += " AND \(column) < ?"
            bindings.append(try bind(value))
        case .lessThanOrEqual(let value):
            sql += " AND \(column) <= ?"
            bindings.append(try bind(value))
        case .greaterThan(let value):
            sql += " AND \(column) > ?"
            bindings.append(try bind(value))
        case .greaterThanOrEqual(let value):
            sql += " AND \(column) >= ?"
            bindings.append(try bind(value))
        case .between(let low, let high):
            sql += " AND \(column) BETWEEN ? AND ?"
            bindings += [try bind(low), try bind(high)]
        case .beginsWith(let prefix):
            guard !numeric else { throw StoreError.invalidRequest("begins_with needs a string sort key") }
            // Byte-wise prefix range, matching DynamoDB's binary UTF-8 ordering.
            sql += " AND \(column) >= ? AND substr(\(column), 1, ?) = ?"
            bindings += [.text(prefix), .integer(prefix.count), .text(prefix)]
        }
    }

    private static func sqliteValue(_ value: ItemValue, numeric: Bool) -> SQLiteValue? {
        switch value {
        case .string(let text) where !numeric: .text(text)
        case .number(let text) where numeric: Double(text).map(SQLiteValue.real)
        default: nil
        }
    }

    private static func indexText(_ value: ItemValue) -> String? {
        switch value {
        case .string(let text), .number(let text): text
        default: nil
        }
    }

    // MARK: Writes

    public func transactWriteItems(_ actions: [WriteAction]) async throws {
        guard !actions.isEmpty else { return }
        try StoreLimits.checkTransaction(actions)
        try await write { state in
            var resolved: [(TableDefinition, ItemKey)] = []
            for action in actions {
                guard let table = state.tables[action.table] else { throw StoreError.unknownTable(action.table) }
                resolved.append((table, try Self.key(of: action, table: table)))
            }
            let distinct = Set(resolved.map { TableKey(table: $0.0.name, key: $0.1) })
            guard distinct.count == resolved.count else {
                throw StoreError.invalidRequest("a transaction cannot include several actions on one item")
            }
            let connection = state.connection
            try connection.execute("BEGIN IMMEDIATE")
            do {
                for (offset, action) in actions.enumerated() {
                    let (table, key) = resolved[offset]
                    let condition: WriteCondition? =
                        switch action {
                        case .put(_, _, let condition), .delete(_, _, let condition): condition
                        case .conditionCheck(_, _, let condition): condition
                        }
                    if let condition {
                        let current = try Self.read(table: table.name, key: key, connection: connection)
                        guard Self.evaluate(condition, current) else { throw StoreError.conditionFailed(index: offset) }
                    }
                    switch action {
                    case .put(_, let item, _):
                        try Self.deleteIndexEntries(table: table.name, key: key, connection: connection)
                        try connection.run(
                            "INSERT OR REPLACE INTO items(tbl, pk, sk, body) VALUES(?, ?, ?, ?)",
                            [.text(table.name), .text(key.partition), .text(key.sort), .blob(ItemCodec.encode(item))]
                        )
                        try Self.writeIndexEntries(item, table: table, connection: connection)
                    case .delete:
                        try Self.deleteIndexEntries(table: table.name, key: key, connection: connection)
                        try connection.run(
                            "DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?",
                            [.text(table.name), .text(key.partition), .text(key.sort)]
                        )
                    case .conditionCheck:
                        break
                    }
                }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func batchWriteItem(_ requests: [BatchWriteRequest]) async throws {
        try StoreLimits.checkBatchWrite(requests)
        // The embedded store applies a batch atomically, which is more than BatchWriteItem promises.
        try await transactWriteItems(
            requests.map { request in
                switch request {
                case .put(let table, let item): .put(table: table, item: item, condition: nil)
                case .delete(let table, let key): .delete(table: table, key: key, condition: nil)
                }
            })
    }

    private static func key(of action: WriteAction, table: TableDefinition) throws -> ItemKey {
        switch action {
        case .put(_, let item, _):
            guard case .string(let partition)? = item[table.partitionAttribute],
                case .string(let sort)? = item[table.sortAttribute]
            else {
                throw StoreError.invalidRequest(
                    "an item of `\(table.name)` needs string `\(table.partitionAttribute)` and `\(table.sortAttribute)`"
                )
            }
            return ItemKey(partition: partition, sort: sort)
        case .delete(_, let key, _), .conditionCheck(_, let key, _):
            return key
        }
    }

    private static func evaluate(_ condition: WriteCondition, _ item: Item?) -> Bool {
        switch condition {
        case .exists: item != nil
        case .notExists: item == nil
        case .attributeEquals(let name, let value): item?[name] == value
        case .all(let conditions): conditions.allSatisfy { evaluate($0, item) }
        }
    }

    private static func deleteIndexEntries(table: String, key: ItemKey, connection: SQLiteConnection) throws {
        try connection.run(
            "DELETE FROM index_entries WHERE tbl = ? AND pk = ? AND sk = ?",
            [.text(table), .text(key.partition), .text(key.sort)]
        )
    }

    /// Adds the composed partition of each global index of `table` that `item` lacks; whether it
    /// added any.
    private static func composeMissingPartitions(of item: inout Item, table: TableDefinition) -> Bool {
        guard case .string(let tenant)? = item[table.partitionAttribute] else { return false }
        var changed = false
        for index in table.indexes where index.partitionField != nil {
            guard let attribute = index.partitionAttribute, item[attribute] == nil,
                let value = index.partitionValue(tenant: tenant, fieldValue: index.partitionField.flatMap { item[$0] })
            else { continue }
            item[attribute] = value
            changed = true
        }
        return changed
    }

    private static func writeIndexEntries(_ item: Item, table: TableDefinition, connection: SQLiteConnection) throws {
        guard case .string(let partition)? = item[table.partitionAttribute],
            case .string(let sort)? = item[table.sortAttribute]
        else { return }
        for index in table.indexes {
            // Sparse, as in DynamoDB: an item without the index's key attributes is not in the index.
            guard let sortValue = item[index.sortAttribute].flatMap({ sqliteValue($0, numeric: index.sortIsNumber) })
            else { continue }
            let indexPartition: String
            if let attribute = index.partitionAttribute {
                guard let value = item[attribute].flatMap(indexText) else { continue }
                indexPartition = value
            } else {
                indexPartition = partition
            }
            try connection.run(
                "INSERT OR REPLACE INTO index_entries(tbl, idx, ipk, isk, pk, sk) VALUES(?, ?, ?, ?, ?, ?)",
                [.text(table.name), .text(index.name), .text(indexPartition), sortValue, .text(partition), .text(sort)]
            )
        }
    }
}

/// A reader connection and its lock (an array cannot hold a `Mutex` itself).
private final class ReaderConnection: Sendable {
    let connection: Mutex<SQLiteConnection>

    init(_ connection: sending SQLiteConnection) {
        self.connection = Mutex(connection)
    }
}

extension TableDefinition {
    /// The stored form of a definition in the embedded store's catalogue.
    var item: Item {
        [
            "name": .string(name),
            "sort": .string(sortAttribute),
            "indexes": .list(
                indexes.map { index in
                    var map: [String: ItemValue] = [
                        "name": .string(index.name), "sort": .string(index.sortAttribute),
                        "numeric": .bool(index.sortIsNumber),
                    ]
                    if let partition = index.partitionAttribute { map["partition"] = .string(partition) }
                    if let field = index.partitionField { map["partition_field"] = .string(field) }
                    switch index.projection {
                    case .all: break
                    case .keysOnly: map["projection"] = .string("keys_only")
                    case .include(let names): map["projection"] = .stringSet(names)
                    }
                    return .map(map)
                }
            ),
        ]
    }

    init(item: Item) throws {
        guard case .string(let name)? = item["name"], case .string(let sort)? = item["sort"],
            case .list(let indexes)? = item["indexes"]
        else { throw ItemCodec.CorruptItem() }
        self.init(
            name: name, sortAttribute: sort,
            indexes: try indexes.map { value in
                guard case .map(let map) = value, case .string(let name)? = map["name"],
                    case .string(let sort)? = map["sort"]
                else { throw ItemCodec.CorruptItem() }
                let projection: IndexDefinition.Projection =
                    switch map["projection"] {
                    case .string("keys_only")?: .keysOnly
                    case .stringSet(let names)?: .include(names)
                    default: .all
                    }
                var index = IndexDefinition(
                    name: name, partitionAttribute: map["partition"]?.stringValue, sortAttribute: sort,
                    sortIsNumber: map["numeric"] == .bool(true), projection: projection
                )
                index.partitionField = map["partition_field"]?.stringValue
                return index
            }
        )
    }
}
