import AMERuntime
import Foundation
import Testing

/// The contract the runtime relies on, held by both backends with the same test cases: the
/// embedded store always, DynamoDB against a real `moto_server`.
@Suite struct StoreConformanceTests {
    static let definition = TableDefinition(
        name: "things", sortAttribute: "id",
        indexes: [
            IndexDefinition(name: "color-index", sortAttribute: "color"),
            IndexDefinition(name: "size-index", sortAttribute: "size", sortIsNumber: true),
        ])

    /// One test's store and its table name.
    struct Context {
        let store: any Store
        let table: String

        init?(_ backend: StoreBackend) async throws {
            guard let (store, names) = try await backend.makeStore([StoreConformanceTests.definition]) else {
                return nil
            }
            self.store = store
            table = names["things"]!
        }

        func thing(_ id: String, tenant: String = "t#default", color: String? = nil, size: Int? = nil) -> Item {
            var item: Item = [tenantAttribute: .string(tenant), "id": .string(id)]
            if let color { item["color"] = .string(color) }
            if let size { item["size"] = .number(String(size)) }
            return item
        }

        func put(_ items: Item...) async throws {
            try await store.transactWriteItems(items.map { .put(table: table, item: $0, condition: nil) })
        }

        func key(_ id: String) -> TableKey { TableKey(table: table, key: ItemKey(partition: "t#default", sort: id)) }

        func ids(_ request: QueryRequest) async throws -> [String] {
            try await store.query(request).items.compactMap { $0["id"]?.stringValue }
        }

        func query(
            index: String? = nil, _ condition: SortKeyCondition? = nil, limit: Int = 1000, start: Item? = nil,
            forward: Bool = true, count: Bool = false
        ) -> QueryRequest {
            QueryRequest(
                table: table, index: index, partition: "t#default", sortCondition: condition, limit: limit,
                exclusiveStartKey: start, scanForward: forward, countOnly: count)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func getAndBatchGetReturnOnlyExistingItems(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        try await context.put(context.thing("a", color: "red"), context.thing("b"))
        let item = try await context.store.getItem(table: context.table, key: context.key("a").key)
        #expect(item?["color"] == "red")
        #expect(try await context.store.getItem(table: context.table, key: context.key("zzz").key) == nil)
        let batch = try await context.store.batchGetItem([context.key("a"), context.key("b"), context.key("missing")])
        #expect(Set(batch.keys) == [context.key("a"), context.key("b")])
        #expect(batch[context.key("a")]?["color"] == "red")
    }

    @Test(arguments: StoreBackend.allCases)
    func batchGetRefusesMoreThanOneHundredKeysOrDuplicates(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        let keys = (0..<101).map { context.key("\($0)") }
        await #expect(throws: StoreError.self) { try await context.store.batchGetItem(keys) }
        await #expect(throws: StoreError.self) { try await context.store.batchGetItem([keys[0], keys[0]]) }
    }

    @Test(arguments: StoreBackend.allCases)
    func queriesPageThroughAPartitionInBothDirections(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        for index in 0..<7 { try await context.put(context.thing("k\(index)")) }
        try await context.put(context.thing("k9", tenant: "other#default"))
        var seen: [String] = []
        var cursor: Item?
        repeat {
            let page = try await context.store.query(context.query(limit: 3, start: cursor))
            seen += page.items.compactMap { $0["id"]?.stringValue }
            cursor = page.lastEvaluatedKey
        } while cursor != nil
        #expect(seen == (0..<7).map { "k\($0)" })
        #expect(try await context.ids(context.query(limit: 2, forward: false)) == ["k6", "k5"])
    }

    @Test(arguments: StoreBackend.allCases)
    func sortKeyConditionsOnTheTableAndOnIndexes(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        try await context.put(
            context.thing("a1", color: "red", size: 10), context.thing("a2", color: "blue", size: 2),
            context.thing("b1", color: "red", size: 30), context.thing("b2"))
        #expect(try await context.ids(context.query(.beginsWith("a"))) == ["a1", "a2"])
        #expect(try await context.ids(context.query(.between("a2", "b1"))) == ["a2", "b1"])
        #expect(try await context.ids(context.query(.lessThan("a2"))) == ["a1"])
        #expect(try await context.ids(context.query(.greaterThanOrEqual("b1"))) == ["b1", "b2"])
        #expect(try await context.ids(context.query(index: "color-index", .equals("red"))) == ["a1", "b1"])
        // Numeric index keys sort as numbers (2 < 10 < 30), not as text.
        #expect(try await context.ids(context.query(index: "size-index")) == ["a2", "a1", "b1"])
        #expect(try await context.ids(context.query(index: "size-index", .greaterThan(.number("5")))) == ["a1", "b1"])
        let count = try await context.store.query(context.query(index: "color-index", count: true))
        #expect(count.count == 3)
    }

    @Test(arguments: StoreBackend.allCases)
    func indexQueriesPageWithCursors(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        for index in 0..<5 { try await context.put(context.thing("i\(index)", color: "same")) }
        var seen: [String] = []
        var cursor: Item?
        repeat {
            let page = try await context.store.query(
                context.query(index: "color-index", .equals("same"), limit: 2, start: cursor))
            seen += page.items.compactMap { $0["id"]?.stringValue }
            cursor = page.lastEvaluatedKey
        } while cursor != nil
        #expect(seen == (0..<5).map { "i\($0)" })
    }

    @Test(arguments: StoreBackend.allCases)
    func aFailedConditionRollsBackTheWholeTransaction(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        try await context.put(context.thing("a", color: "red"))
        await #expect(throws: StoreError.conditionFailed(index: 1)) {
            try await context.store.transactWriteItems([
                .put(table: context.table, item: context.thing("new"), condition: .notExists),
                .put(table: context.table, item: context.thing("a", color: "blue"), condition: .notExists),
            ])
        }
        #expect(try await context.store.getItem(table: context.table, key: context.key("new").key) == nil)
        #expect(try await context.ids(context.query(index: "color-index", .equals("blue"))).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func conditionsOnAttributesGuardUpdatesAndDeletes(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        var item = context.thing("v")
        item["version"] = .number("1")
        try await context.put(item)
        var next = item
        next["version"] = .number("2")
        try await context.store.transactWriteItems([
            .put(table: context.table, item: next, condition: .attributeEquals("version", .number("1")))
        ])
        await #expect(throws: StoreError.conditionFailed(index: 0)) {
            try await context.store.transactWriteItems([
                .put(table: context.table, item: next, condition: .attributeEquals("version", .number("1")))
            ])
        }
        await #expect(throws: StoreError.conditionFailed(index: 0)) {
            try await context.store.transactWriteItems([
                .delete(table: context.table, key: context.key("missing").key, condition: .exists)
            ])
        }
        try await context.store.transactWriteItems([
            .conditionCheck(table: context.table, key: context.key("v").key, condition: .exists),
            .delete(table: context.table, key: context.key("other").key, condition: nil),
        ])
        let stored = try await context.store.getItem(table: context.table, key: context.key("v").key)
        #expect(stored?["version"] == .number("2"))
    }

    @Test(arguments: StoreBackend.allCases)
    func batchWritesPutAndDeleteAndRefuseMoreThanTwentyFive(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        try await context.put(context.thing("old"))
        try await context.store.batchWriteItem(
            (0..<24).map { .put(table: context.table, item: context.thing("w\($0)", color: "green")) } + [
                .delete(table: context.table, key: context.key("old").key)
            ])
        #expect(try await context.ids(context.query(index: "color-index", .equals("green"))).count == 24)
        #expect(try await context.store.getItem(table: context.table, key: context.key("old").key) == nil)
        let tooMany = (0..<26).map { BatchWriteRequest.put(table: context.table, item: context.thing("x\($0)")) }
        await #expect(throws: StoreError.self) { try await context.store.batchWriteItem(tooMany) }
    }

    @Test(arguments: StoreBackend.allCases)
    func replacingAnItemMovesItsIndexEntries(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        try await context.put(context.thing("a", color: "red"))
        try await context.put(context.thing("a", color: "blue"))
        #expect(try await context.ids(context.query(index: "color-index", .equals("red"))).isEmpty)
        try await context.store.transactWriteItems([
            .delete(table: context.table, key: context.key("a").key, condition: .exists)
        ])
        #expect(try await context.ids(context.query(index: "color-index")).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func nestedValuesRoundTrip(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        var item = context.thing("n")
        item["nested"] = .map([
            "list": .list([.string("x"), .number("1.5"), .bool(true), .null]), "map": .map(["deep": .string("y")]),
        ])
        item["tags"] = .stringSet(["a", "b"])
        try await context.put(item)
        let stored = try await context.store.getItem(table: context.table, key: context.key("n").key)
        #expect(stored?["nested"] == item["nested"])
        #expect(stored?["tags"] == item["tags"])
    }

    @Test(arguments: StoreBackend.allCases)
    func unknownTablesAreReportedByName(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        await #expect(throws: StoreError.unknownTable("nope")) {
            _ = try await context.store.getItem(table: "nope", key: ItemKey(partition: "p", sort: "s"))
        }
    }

    @Test func embeddedReadsRunConcurrentlyWithWritesAndSeeEveryCommit() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("ame.sqlite").path)
        try await store.createTable(Self.definition)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for number in 0..<25 {
                        let id = "w\(writer)-\(number)"
                        try await store.transactWriteItems([
                            .put(
                                table: "things", item: [tenantAttribute: "t#default", "id": .string(id)], condition: nil
                            )
                        ])
                        // A read right after the commit, on any reader connection, sees it.
                        let item = try await store.getItem(
                            table: "things", key: ItemKey(partition: "t#default", sort: id))
                        #expect(item != nil, "\(id) not visible after its commit")
                    }
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<25 {
                        _ = try await store.query(
                            QueryRequest(table: "things", partition: "t#default", countOnly: true))
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await store.query(QueryRequest(table: "things", partition: "t#default", countOnly: true))
        #expect(total.count == 100)
    }

    @Test(arguments: StoreBackend.allCases)
    func aScanInSegmentsReadsEveryItemOfEveryTenantOncePageByPage(_ backend: StoreBackend) async throws {
        guard let context = try await Context(backend) else { return }
        var all: [String] = []
        for tenant in ["a#default", "b#default", "c#x"] {
            for index in 0..<9 {
                try await context.put(context.thing("\(tenant)/\(index)", tenant: tenant))
                all.append("\(tenant)/\(index)")
            }
        }
        for segments in [1, 3] {
            var seen: [String] = []
            for segment in 0..<segments {
                var start: Item?
                repeat {
                    let page = try await context.store.scan(
                        ScanRequest(
                            table: context.table, segment: segment, totalSegments: segments, limit: 4,
                            exclusiveStartKey: start))
                    #expect(page.items.count <= 4)
                    seen += page.items.compactMap { $0["id"]?.stringValue }
                    start = page.lastEvaluatedKey
                } while start != nil
            }
            #expect(seen.sorted() == all.sorted(), "\(segments) segments")
        }
        await #expect(
            throws: StoreError.invalidRequest(
                "Scan needs a positive limit and a segment in 0..<totalSegments (got 2 of 2)")
        ) {
            _ = try await context.store.scan(ScanRequest(table: context.table, segment: 2, totalSegments: 2))
        }
        await #expect(throws: StoreError.unknownTable(context.table + "-missing")) {
            _ = try await context.store.scan(ScanRequest(table: context.table + "-missing"))
        }
    }

    @Test func embeddedScanRefusesAStartKeyOfAnotherTable() async throws {
        let store = try SQLiteStore(path: nil)
        try await store.createTable(Self.definition)
        await #expect(throws: StoreError.self) {
            _ = try await store.scan(ScanRequest(table: "things", exclusiveStartKey: ["other": "x"]))
        }
    }

    @Test func embeddedItemsSurviveReopeningTheFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ame.sqlite").path
        do {
            let first = try SQLiteStore(path: path)
            try await first.createTable(Self.definition)
            try await first.transactWriteItems([
                .put(
                    table: "things", item: [tenantAttribute: "t#default", "id": "kept", "color": "green"],
                    condition: nil)
            ])
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.listTables() == ["things"])
        let item = try await reopened.getItem(table: "things", key: ItemKey(partition: "t#default", sort: "kept"))
        #expect(item?["color"] == "green")
    }
}
