import AMERuntime

/// A store wrapped for instrumentation or fault injection: every call the wrapper does not
/// implement itself goes to `inner`.
protocol ForwardingStore: Store {
    var inner: any Store { get }
}

extension ForwardingStore {
    func createTable(_ table: TableDefinition) async throws { try await inner.createTable(table) }
    func deleteTable(named name: String) async throws { try await inner.deleteTable(named: name) }
    func listTables() async throws -> [String] { try await inner.listTables() }
    func describeTable(named name: String) async throws -> TableDescription? {
        try await inner.describeTable(named: name)
    }
    var buildsAddedIndexes: Bool { inner.buildsAddedIndexes }
    var taskExecutor: (any TaskExecutor)? { inner.taskExecutor }
    func getItem(table: String, key: ItemKey) async throws -> Item? { try await inner.getItem(table: table, key: key) }
    func batchGetItem(_ keys: [TableKey]) async throws -> [TableKey: Item] { try await inner.batchGetItem(keys) }
    func query(_ request: QueryRequest) async throws -> QueryPage { try await inner.query(request) }
    func transactWriteItems(_ actions: [WriteAction]) async throws { try await inner.transactWriteItems(actions) }
    func batchWriteItem(_ requests: [BatchWriteRequest]) async throws { try await inner.batchWriteItem(requests) }
    func scan(_ request: ScanRequest) async throws -> ScanPage { try await inner.scan(request) }
}
