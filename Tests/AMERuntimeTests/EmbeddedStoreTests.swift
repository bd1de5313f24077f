import AMERuntime
import Foundation
import Testing

/// The embedded store honours the DynamoDB-shaped contract the runtime relies on.
@Suite struct EmbeddedStoreTests {
    static let table = TableDefinition(
        name: "things", sortAttribute: "id",
        indexes: [
            IndexDefinition(name: "color-index", sortAttribute: "color"),
            IndexDefinition(name: "size-index", sortAttribute: "size", sortIsNumber: true),
        ])

    static func thing(_ id: String, tenant: String = "t#default", color: String? = nil, size: Int? = nil) -> Item {
        var item: Item = [tenantAttribute: .string(tenant), "id": .string(id)]
        if let color { item["color"] = .string(color) }
        if let size { item["size"] = .number(String(size)) }
        return item
    }

    func store(path: String? = nil) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.createTable(Self.table)
        return store
    }

    func put(_ store: SQLiteStore, _ items: Item...) async throws {
        try await store.transactWriteItems(items.map { .put(table: "things", item: $0, condition: nil) })
    }

    @Test func getAndBatchGetReturnOnlyExistingItems() async throws {
        let store = try await store()
        try await put(store, Self.thing("a", color: "red"), Self.thing("b"))
        let key = { (id: String) in TableKey(table: "things", key: ItemKey(partition: "t#default", sort: id)) }
        #expect(try await store.getItem(table: "things", key: key("a").key)?["color"] == .string("red"))
        let batch = try await store.batchGetItem([key("a"), key("b"), key("missing")])
        #expect(Set(batch.keys) == [key("a"), key("b")])
    }

    @Test func batchGetRefusesMoreThanOneHundredKeysOrDuplicates() async throws {
        let store = try await store()
        let keys = (0..<101).map { TableKey(table: "things", key: ItemKey(partition: "t#default", sort: "\($0)")) }
        await #expect(throws: StoreError.self) { try await store.batchGetItem(keys) }
        await #expect(throws: StoreError.self) { try await store.batchGetItem([keys[0], keys[0]]) }
    }

    @Test func queriesPageThroughAPartitionInBothDirections() async throws {
        let store = try await store()
        for index in 0..<7 { try await put(store, Self.thing("k\(index)")) }
        try await put(store, Self.thing("k9", tenant: "other#default"))
        var seen: [String] = []
        var cursor: Item?
        repeat {
            let page = try await store.query(
                QueryRequest(table: "things", partition: "t#default", limit: 3, exclusiveStartKey: cursor))
            seen += page.items.compactMap { $0["id"]?.stringValue }
            cursor = page.lastEvaluatedKey
        } while cursor != nil
        #expect(seen == (0..<7).map { "k\($0)" })
        let backwards = try await store.query(
            QueryRequest(table: "things", partition: "t#default", limit: 2, scanForward: false))
        #expect(backwards.items.compactMap { $0["id"]?.stringValue } == ["k6", "k5"])
    }

    @Test func sortKeyConditionsOnTheTableAndOnIndexes() async throws {
        let store = try await store()
        try await put(
            store, Self.thing("a1", color: "red", size: 10), Self.thing("a2", color: "blue", size: 2),
            Self.thing("b1", color: "red", size: 30), Self.thing("b2"))
        func ids(_ request: QueryRequest) async throws -> [String] {
            try await store.query(request).items.compactMap { $0["id"]?.stringValue }
        }
        #expect(
            try await ids(QueryRequest(table: "things", partition: "t#default", sortCondition: .beginsWith("a"))) == [
                "a1", "a2",
            ])
        #expect(
            try await ids(
                QueryRequest(
                    table: "things", partition: "t#default", sortCondition: .between(.string("a2"), .string("b1"))))
                == ["a2", "b1"])
        #expect(
            try await ids(
                QueryRequest(
                    table: "things", index: "color-index", partition: "t#default", sortCondition: .equals("red")))
                == ["a1", "b1"])
        // Numeric index keys sort as numbers (2 < 10 < 30), not as text.
        #expect(
            try await ids(QueryRequest(table: "things", index: "size-index", partition: "t#default")) == [
                "a2", "a1", "b1",
            ])
        #expect(
            try await ids(
                QueryRequest(
                    table: "things", index: "size-index", partition: "t#default",
                    sortCondition: .greaterThan(.number("5")))) == ["a1", "b1"])
        let count = try await store.query(
            QueryRequest(table: "things", index: "color-index", partition: "t#default", countOnly: true))
        #expect(count.count == 3)
    }

    @Test func aFailedConditionRollsBackTheWholeTransaction() async throws {
        let store = try await store()
        try await put(store, Self.thing("a", color: "red"))
        await #expect(throws: StoreError.conditionFailed(index: 1)) {
            try await store.transactWriteItems([
                .put(table: "things", item: Self.thing("new"), condition: .notExists),
                .put(table: "things", item: Self.thing("a", color: "blue"), condition: .notExists),
            ])
        }
        #expect(try await store.getItem(table: "things", key: ItemKey(partition: "t#default", sort: "new")) == nil)
        let index = try await store.query(
            QueryRequest(table: "things", index: "color-index", partition: "t#default", sortCondition: .equals("blue")))
        #expect(index.items.isEmpty)
    }

    @Test func replacingAnItemMovesItsIndexEntries() async throws {
        let store = try await store()
        try await put(store, Self.thing("a", color: "red"))
        try await put(store, Self.thing("a", color: "blue"))
        let red = try await store.query(
            QueryRequest(table: "things", index: "color-index", partition: "t#default", sortCondition: .equals("red")))
        #expect(red.items.isEmpty)
        try await store.transactWriteItems([
            .delete(table: "things", key: ItemKey(partition: "t#default", sort: "a"), condition: .exists)
        ])
        let all = try await store.query(QueryRequest(table: "things", index: "color-index", partition: "t#default"))
        #expect(all.items.isEmpty)
    }

    @Test func itemsSurviveReopeningTheFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ame.sqlite").path
        do {
            let first = try await store(path: path)
            try await put(first, Self.thing("kept", color: "green"))
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.listTables() == ["things"])
        let item = try await reopened.getItem(table: "things", key: ItemKey(partition: "t#default", sort: "kept"))
        #expect(item?["color"] == .string("green"))
    }

    @Test func unknownTablesAreReportedByName() async throws {
        let store = try await store()
        await #expect(throws: StoreError.unknownTable("nope")) {
            _ = try await store.getItem(table: "nope", key: ItemKey(partition: "p", sort: "s"))
        }
    }
}
