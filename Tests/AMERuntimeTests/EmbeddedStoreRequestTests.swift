import AMERuntime
import Testing

/// The embedded store refuses a request DynamoDB would refuse, with a `StoreError` that says
/// what is wrong (the runtime never builds these: a refusal is a defect made visible, not
/// a wrong answer); and the parts of the contract the conformance tests leave out, on both
/// backends: `<=` conditions and deleting a table.
@Suite struct EmbeddedStoreRequestTests {
    static let definition = TableDefinition(
        name: "things", sortAttribute: "id",
        indexes: [
            IndexDefinition(name: "color-index", sortAttribute: "color"),
            IndexDefinition(name: "size-index", sortAttribute: "size", sortIsNumber: true),
            IndexDefinition(name: "owner-index", partitionAttribute: "owner", sortAttribute: "id"),
        ])

    static func store() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: nil)
        try await store.createTable(definition)
        try await store.transactWriteItems([
            .put(
                table: "things",
                item: [tenantAttribute: "t#default", "id": "a1", "color": "red", "size": .number("3")],
                condition: nil)
        ])
        return store
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let request: QueryRequest
        let error: StoreError
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "an unknown index",
            request: QueryRequest(table: "things", index: "shape-index", partition: "t#default"),
            error: .unknownIndex(table: "things", index: "shape-index")),
        Refusal(
            name: "a number as the table's partition", request: QueryRequest(table: "things", partition: .number("1")),
            error: .invalidRequest("the partition value of `things` must be a string")),
        Refusal(
            name: "a start key without the sort attribute",
            request: QueryRequest(
                table: "things", partition: "t#default", exclusiveStartKey: [tenantAttribute: "t#default"]),
            error: .invalidRequest("exclusiveStartKey lacks `id`")),
        Refusal(
            name: "a boolean as an index's partition",
            request: QueryRequest(table: "things", index: "owner-index", partition: .bool(true)),
            error: .invalidRequest("the partition value of index `owner-index` must be a string or number")),
        Refusal(
            name: "a start key of the table for an index",
            request: QueryRequest(
                table: "things", index: "color-index", partition: "t#default",
                exclusiveStartKey: [tenantAttribute: "t#default", "id": "a1"]),
            error: .invalidRequest("exclusiveStartKey does not belong to index `color-index`")),
        Refusal(
            name: "a string condition on a numeric index",
            request: QueryRequest(
                table: "things", index: "size-index", partition: "t#default", sortCondition: .equals("3")),
            error: .invalidRequest("a sort key condition value must be a number")),
        Refusal(
            name: "a number condition on the table's string key",
            request: QueryRequest(table: "things", partition: "t#default", sortCondition: .lessThan(.number("3"))),
            error: .invalidRequest("a sort key condition value must be a string")),
        Refusal(
            name: "a zero limit", request: QueryRequest(table: "things", partition: "t#default", limit: 0),
            error: .invalidRequest("Query limit must be positive")),
    ]

    @Test(arguments: refusals)
    func aMalformedQueryIsRefusedSayingWhy(_ refusal: Refusal) async throws {
        let store = try await Self.store()
        await #expect(throws: refusal.error) { try await store.query(refusal.request) }
    }

    @Test func aMalformedWriteIsRefusedAndWritesNothing() async throws {
        let store = try await Self.store()
        let item: Item = [tenantAttribute: "t#default", "id": "b1"]
        await #expect(throws: StoreError.invalidRequest("a transaction cannot include several actions on one item")) {
            try await store.transactWriteItems([
                .put(table: "things", item: item, condition: nil),
                .delete(table: "things", key: ItemKey(partition: "t#default", sort: "b1"), condition: nil),
            ])
        }
        await #expect(
            throws: StoreError.invalidRequest("an item of `things` needs string `\(tenantAttribute)` and `id`")
        ) {
            try await store.transactWriteItems([
                .put(table: "things", item: [tenantAttribute: "t#default", "id": .number("7")], condition: nil)
            ])
        }
        let page = try await store.query(QueryRequest(table: "things", partition: "t#default"))
        #expect(page.items.compactMap { $0["id"]?.stringValue } == ["a1"])
    }

    @Test(arguments: StoreBackend.allCases)
    func lessThanOrEqualGlobalIndexesUnknownIndexesAndDeletingATable(_ backend: StoreBackend) async throws {
        guard let (store, names) = try await backend.makeStore([Self.definition]) else { return }
        let table = try #require(names["things"])
        try await store.batchWriteItem(
            ["a1", "a2", "a3"].map { .put(table: table, item: [tenantAttribute: "t#default", "id": .string($0)]) })
        let page = try await store.query(
            QueryRequest(table: table, partition: "t#default", sortCondition: .lessThanOrEqual("a2")))
        #expect(page.items.compactMap { $0["id"]?.stringValue } == ["a1", "a2"])
        // A global index is queried by its own partition, across the table's.
        try await store.batchWriteItem([
            .put(table: table, item: [tenantAttribute: "t#default", "id": "b1", "owner": "ann"]),
            .put(table: table, item: [tenantAttribute: "u#default", "id": "b2", "owner": "ann"]),
            .put(table: table, item: [tenantAttribute: "t#default", "id": "b3", "owner": "bob"]),
        ])
        let owned = try await store.query(QueryRequest(table: table, index: "owner-index", partition: "ann"))
        #expect(owned.items.compactMap { $0["id"]?.stringValue } == ["b1", "b2"])
        await #expect(throws: StoreError.unknownIndex(table: table, index: "shape-index")) {
            try await store.query(QueryRequest(table: table, index: "shape-index", partition: "t#default"))
        }

        try await store.deleteTable(named: table)
        #expect(try await store.describeTable(named: table) == nil)
        #expect(try await !store.listTables().contains(table))
        // A table of the same name made again starts empty.
        try await store.createTable(TableDefinition(name: table, sortAttribute: "id"))
        let again = try await store.query(QueryRequest(table: table, partition: "t#default"))
        #expect(again.items.isEmpty)
        try await store.deleteTable(named: table)
    }
}
