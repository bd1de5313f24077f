import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Synchronization
import Testing

/// A store whose global indexes lag its writes, as DynamoDB's may (fault injection: both stores
/// list a write at once): an item put since the last ``catchUp()`` is missing from every Query
/// of a global index.
final class LaggingIndexStore: ForwardingStore {
    let inner: any Store
    /// The tables created through it, by name.
    private let tables = Mutex<[String: TableDefinition]>([:])
    private let lagging = Mutex<Set<TableKey>>([])

    init(_ inner: any Store) { self.inner = inner }

    /// The indexes list every write so far.
    func catchUp() { lagging.withLock { $0.removeAll() } }

    func createTable(_ table: TableDefinition) async throws {
        try await inner.createTable(table)
        tables.withLock { $0[table.name] = table }
    }

    private func key(_ table: TableDefinition, _ item: Item) -> TableKey? {
        guard case .string(let partition)? = item[tenantAttribute], case .string(let key)? = item[table.sortAttribute]
        else { return nil }
        return TableKey(table: table.name, key: ItemKey(partition: partition, sort: key))
    }

    private func lag(_ actions: [WriteAction]) {
        let tables = tables.withLock { $0 }
        let keys = actions.compactMap { action -> TableKey? in
            guard case .put(let name, let item, _) = action, let table = tables[name],
                table.indexes.contains(where: \.isGlobal)
            else { return nil }
            return key(table, item)
        }
        lagging.withLock { $0.formUnion(keys) }
    }

    func transactWriteItems(_ actions: [WriteAction]) async throws {
        try await inner.transactWriteItems(actions)
        lag(actions)
    }

    func batchWriteItem(_ requests: [BatchWriteRequest]) async throws {
        try await inner.batchWriteItem(requests)
        lag(
            requests.compactMap { request in
                guard case .put(let table, let item) = request else { return nil }
                return .put(table: table, item: item, condition: nil)
            })
    }

    func query(_ request: QueryRequest) async throws -> QueryPage {
        var page = try await inner.query(request)
        // Only global indexes lag; tables and local indexes are read strongly consistent.
        guard let table = tables.withLock({ $0[request.table] }),
            request.index.flatMap(table.index(named:))?.isGlobal == true
        else { return page }
        let hidden = lagging.withLock { $0 }
        page.items.removeAll { key(table, $0).map(hidden.contains) ?? false }
        return page
    }
}

/// A client reads its own writes through a global index although the index has not listed them
/// yet: lists, relations and gets through one place the writes of the last moments
/// (`AME_RECENT_WRITES_SECONDS`) where the index will list them, read by key. Another tenant's
/// writes are never placed; across instances the writes are shared through Redis. The same on
/// both stores.
@Suite struct RecentWritesTests {
    static let seed = SampleData(corporations: 0, places: 1, contacts: 0, requests: 0)

    /// Long enough for a slow machine: a write is remembered for the whole test.
    static let remembered = RecentWritesConfiguration(window: .seconds(3600))

    /// An engine on `backend` whose global indexes lag (with `registry`'s indexes made global
    /// when `globalLayout`).
    static func lagging(
        _ backend: StoreBackend, globalLayout: Bool = false, recentWrites: RecentWritesConfiguration = remembered
    ) async throws -> (TestEngine, LaggingIndexStore)? {
        let lagging = Mutex<LaggingIndexStore?>(nil)
        guard
            let test = try await TestEngine(
                backend: backend, seed: seed, schema: { globalLayout ? Self.globalLayout($0) : $0 },
                wrap: { store in
                    let wrapped = LaggingIndexStore(store)
                    lagging.withLock { $0 = wrapped }
                    return wrapped
                }, recentWrites: recentWrites)
        else { return nil }
        let store = try #require(lagging.withLock { $0 })
        store.catchUp()
        return (test, store)
    }

    /// The generated schema with every index global: local ones become global indexes of the
    /// tenant sorted by the same field (the `layout: global` of an entity).
    static func globalLayout(_ registry: SchemaRegistry) -> SchemaRegistry {
        var entities = registry.entities
        for entity in entities.indices {
            entities[entity].indexes = entities[entity].indexes.map { index in
                index.isGlobal
                    ? index
                    : .global(
                        name: index.name, sortAttribute: index.sortAttribute, sortIsNumber: index.sortIsNumber,
                        projection: index.projection)
            }
        }
        return SchemaRegistry(
            sdl: registry.sdl, tablePrefix: registry.tablePrefix, entities: entities,
            systemRecords: registry.systemRecords, schemaVersion: registry.schemaVersion)
    }

    private func emails(_ test: TestEngine, last: String, tenant: Tenant = TestEngine.tenantA) async -> [String] {
        let response = await test.run(
            "query($l: String) { contactProfileList(lastName: $l, limit: 10) { contactProfileList { email } } }",
            variables: ["l": .string(last)], tenant: tenant)
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        return (response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? [])
            .compactMap { $0["email"]?.stringValue }
    }

    /// Every page of `lastName` at `limit` items a page, in order.
    private func pages(_ test: TestEngine, last: String, limit: Int) async throws -> [[String]] {
        var pages: [[String]] = []
        var token: JSONValue = .null
        repeat {
            let response = await test.run(
                """
                query($l: String, $t: String) { contactProfileList(lastName: $l, limit: \(limit), nextToken: $t) {
                  contactProfileList { email } nextToken } }
                """, variables: ["l": .string(last), "t": token])
            #expect(response.errorCodes == [], "\(response.json.jsonText)")
            let list = try #require(response.data?["contactProfileList"])
            pages.append((list["contactProfileList"]?.arrayValue ?? []).compactMap { $0["email"]?.stringValue })
            token = list["nextToken"] ?? .null
        } while token != .null && pages.count < 10
        return pages
    }

    @Test(arguments: StoreBackend.allCases)
    func aListThroughALaggingGlobalIndexReturnsTheWritesJustMade(_ backend: StoreBackend) async throws {
        guard let (test, store) = try await Self.lagging(backend) else { return }
        let first = try await test.insertContact(email: "a@x", last: "Hopper")
        _ = try await test.insertContact(email: "b@x", last: "Hopper")
        store.catchUp()
        // Written now: the index does not list it yet.
        _ = try await test.insertContact(email: "c@x", last: "Hopper")
        #expect(Set(await emails(test, last: "Hopper")) == ["a@x", "b@x", "c@x"])
        // Page by page, each contact once, in the index's order (its sort key, the contact's key).
        let paged = try await pages(test, last: "Hopper", limit: 1)
        #expect(paged.flatMap { $0 }.sorted() == ["a@x", "b@x", "c@x"], "\(paged)")
        #expect(paged.allSatisfy { $0.count <= 1 })
        let inTwos = try await pages(test, last: "Hopper", limit: 2)
        #expect(inTwos.flatMap { $0 }.sorted() == ["a@x", "b@x", "c@x"], "\(inTwos)")

        // Renamed now: found under the new name at once, and no longer under the old one.
        let renamed = await test.run(
            "mutation($id: String) { insertUpdateContactProfile(contactUuid: $id, lastName: \"Hamilton\", updatedBy: \"t\") { contactProfile { lastName } } }",
            variables: ["id": .string(first)])
        #expect(renamed.errorCodes == [], "\(renamed.json.jsonText)")
        #expect(await emails(test, last: "Hamilton") == ["a@x"])
        #expect(Set(await emails(test, last: "Hopper")) == ["b@x", "c@x"])
        // Another tenant's list of the same name places none of this tenant's writes.
        _ = try await Self.seed.load(into: test.engine, tenant: TestEngine.tenantB)
        #expect(await emails(test, last: "Hopper", tenant: TestEngine.tenantB) == [])

        // The index catches up: the same answers, now from its entries.
        store.catchUp()
        #expect(Set(await emails(test, last: "Hopper")) == ["b@x", "c@x"])
        #expect(await emails(test, last: "Hamilton") == ["a@x"])
    }

    @Test(arguments: StoreBackend.allCases)
    func withoutRememberedWritesALaggingIndexMissesThem(_ backend: StoreBackend) async throws {
        guard
            let (test, _) = try await Self.lagging(
                backend, recentWrites: RecentWritesConfiguration(window: .zero))
        else { return }
        _ = try await test.insertContact(email: "new@x", last: "Lamport")
        // What the fault does when nothing is remembered: the list is the index's.
        #expect(await emails(test, last: "Lamport") == [])
    }

    @Test(arguments: StoreBackend.allCases)
    func relationsAndGetsThroughLaggingGlobalIndexesReturnTheWritesJustMade(_ backend: StoreBackend) async throws {
        guard let (test, _) = try await Self.lagging(backend, globalLayout: true) else { return }
        let place = try #require(test.keys.places.first)
        _ = try await test.insertContact(email: "grace@x", last: "Hopper")
        _ = try await test.insertContact(email: "ada@x", last: "Lovelace")
        let relation = await test.run(
            "query($p: String!) { place(placeUuid: $p) { contactProfiles(limit: 10) { contactProfileList { email } } } }",
            variables: ["p": .string(place)])
        #expect(relation.errorCodes == [], "\(relation.json.jsonText)")
        let listed = relation.data?["place"]?["contactProfiles"]?["contactProfileList"]?.arrayValue ?? []
        #expect(Set(listed.compactMap { $0["email"]?.stringValue }) == ["grace@x", "ada@x"])
        // A page of one: the relation's page ends at its limit, and its token continues it.
        let one = await test.run(
            "query($p: String!) { place(placeUuid: $p) { contactProfiles(limit: 1) { contactProfileList { email } nextToken } } }",
            variables: ["p": .string(place)])
        let page = one.data?["place"]?["contactProfiles"]
        #expect(page?["contactProfileList"]?.arrayValue.count == 1, "\(one.json.jsonText)")
        let token = try #require(page?["nextToken"]?.stringValue, "\(one.json.jsonText)")
        let next = await test.run(
            """
            query($p: String!, $t: String) { place(placeUuid: $p) { contactProfiles(limit: 1, nextToken: $t) {
              contactProfileList { email } } } }
            """, variables: ["p": .string(place), "t": .string(token)])
        let pages = [one, next].flatMap {
            ($0.data?["place"]?["contactProfiles"]?["contactProfileList"]?.arrayValue ?? []).compactMap {
                $0["email"]?.stringValue
            }
        }
        #expect(pages.sorted() == ["ada@x", "grace@x"], "\(next.json.jsonText)")

        let get = await test.run(#"{ contactProfile(email: "grace@x") { lastName } }"#)
        #expect(get.errorCodes == [], "\(get.json.jsonText)")
        #expect(get.data?["contactProfile"]?["lastName"] == "Hopper")
        // Another tenant's get of the same email finds nothing.
        _ = try await Self.seed.load(into: test.engine, tenant: TestEngine.tenantB)
        let other = await test.run(#"{ contactProfile(email: "grace@x") { lastName } }"#, tenant: TestEngine.tenantB)
        #expect(other.errorCodes == ["ENTITY_NOT_FOUND"], "\(other.json.jsonText)")
    }

    @Test func anotherInstanceReadsTheWriteThroughRedis() async throws {
        guard let redis = try await RedisServer.start() else { return }
        let registry = AMESchemaRegistry.registry
        let store = LaggingIndexStore(try SQLiteStore(path: nil))
        func engine(redis url: String?) throws -> GraphQLEngine {
            try GraphQLEngine(
                registry: registry, store: store,
                recentWrites: RecentWritesConfiguration(
                    window: Self.remembered.window, redis: try url.map { try RedisConfiguration(url: $0) }))
        }
        let writer = try engine(redis: redis.url)
        try await writer.createTables()
        let keys = try await Self.seed.load(into: writer, tenant: TestEngine.tenantA)
        store.catchUp()
        let shared = TestEngine(engine: writer, keys: keys)
        _ = try await shared.insertContact(email: "shared@x", last: "Dijkstra")
        // Another instance sharing Redis places the write; one without Redis cannot know of it.
        let reader = TestEngine(engine: try engine(redis: redis.url), keys: keys)
        #expect(await emails(reader, last: "Dijkstra") == ["shared@x"])
        let alone = TestEngine(engine: try engine(redis: nil), keys: keys)
        #expect(await emails(alone, last: "Dijkstra") == [])

        // Redis down: each instance still places its own writes, and misses the others'.
        store.catchUp()
        redis.kill()
        _ = try await shared.insertContact(email: "later@x", last: "Dijkstra")
        #expect(await emails(shared, last: "Dijkstra").sorted() == ["later@x", "shared@x"])
        #expect(await emails(reader, last: "Dijkstra") == ["shared@x"])
        await writer.recentWrites.shutdown()
        await reader.engine.recentWrites.shutdown()
    }
}

/// What ``RecentWrites`` remembers: the puts of tables with global indexes, per tenant and table,
/// for its window and at most `maxPerTable` of them (the oldest forgotten first).
@Suite struct RecentWritesBoundsTests {
    static let table = TableDefinition(
        name: "books", sortAttribute: "id",
        indexes: [
            .global(name: "by-isbn", partitionField: "isbn", sortAttribute: "title"),
            IndexDefinition(name: "by-year", sortAttribute: "year"),
        ])

    static func put(_ id: String, tenant: String = "t1", isbn: String = "1") -> WriteAction {
        .put(
            table: table.name,
            item: [
                tenantAttribute: .string(tenant), "id": .string(id), "isbn": .string(isbn), "title": "T",
                "tenant#by-isbn": .string(tenant + "#s:" + isbn), "year": .number("1999"), "body": "long",
            ], condition: nil)
    }

    @Test func itRemembersTheKeysOfGlobalIndexesForItsWindowAndBound() async {
        let now = Mutex(1000.0)
        let recent = RecentWrites(
            configuration: RecentWritesConfiguration(window: .seconds(10), maxPerTable: 2), tables: [Self.table],
            clock: { now.withLock { $0 } })
        await recent.record([Self.put("a"), Self.put("b", tenant: "t2")])
        // Only the keys and the global index's attributes: not the body, not a local index's.
        #expect(
            await recent.entries(table: "books", tenant: "t1") == [
                [
                    tenantAttribute: "t1", "id": "a", "title": "T", "tenant#by-isbn": "t1#s:1",
                ]
            ])
        #expect(await recent.entries(table: "books", tenant: "t2").count == 1)
        await recent.record([Self.put("c"), Self.put("d")])
        #expect(await recent.entries(table: "books", tenant: "t1").map { $0["id"] } == ["c", "d"])
        // A table without global indexes is not remembered; deletes are not either.
        await recent.record([
            .put(table: "other", item: [tenantAttribute: "t1", "id": "x"], condition: nil),
            .delete(table: "books", key: ItemKey(partition: "t1", sort: "c"), condition: nil),
        ])
        #expect(await recent.entries(table: "other", tenant: "t1") == [])
        #expect(await recent.entries(table: "books", tenant: "t1").count == 2)
        now.withLock { $0 += 10 }
        #expect(await recent.entries(table: "books", tenant: "t1") == [])
    }

    @Test func itKeepsAtMostMaxTablesTenantTablePairs() async {
        let now = Mutex(1000.0)
        let recent = RecentWrites(
            configuration: RecentWritesConfiguration(window: .seconds(60), maxTables: 2), tables: [Self.table],
            clock: { now.withLock { $0 } })
        for tenant in ["t1", "t2", "t3"] {
            await recent.record([Self.put("a", tenant: tenant)])
            now.withLock { $0 += 1 }
        }
        // The stalest pair went first.
        #expect(await recent.entries(table: "books", tenant: "t1") == [])
        #expect(await recent.entries(table: "books", tenant: "t2").count == 1)
        #expect(await recent.entries(table: "books", tenant: "t3").count == 1)
    }
}

/// Where a remembered write is placed among a global index's entries: DynamoDB's order of key
/// values (strings by their UTF-8 bytes, numbers by value), then the table's key; and which sort
/// key conditions it meets.
@Suite struct RecentIndexOrderTests {
    typealias Order = RecentIndexEntries

    @Test func keyValuesAreOrderedAsDynamoDBOrdersThem() {
        #expect(Order.compare("B", "a") < 0)  // bytes, not case-folded
        #expect(Order.compare("é", "z") > 0)  // UTF-8 bytes: é is 0xC3 0xA9
        #expect(Order.compare(.number("9"), .number("10")) < 0)
        #expect(Order.compare(.number("1.50"), .number("1.5")) == 0)
        #expect(Order.compare(nil, "a") < 0 && Order.compare("a", nil) > 0 && Order.compare(nil, nil) == 0)
        #expect(Order.compare(.null, "a") < 0 && Order.compare("a", .null) > 0)
        let index = IndexDefinition.global(name: "by-title", sortAttribute: "title")
        let table = TableDefinition(name: "books", sortAttribute: "id", indexes: [index])
        // Equal sort keys: the table's key decides.
        #expect(Order.precedes(["title": "A", "id": "2"], ["title": "B", "id": "1"], index: index, table: table))
        #expect(Order.precedes(["title": "A", "id": "1"], ["title": "A", "id": "2"], index: index, table: table))
        #expect(!Order.precedes(["title": "A", "id": "2"], ["title": "A", "id": "2"], index: index, table: table))
    }

    @Test func sortKeyConditionsAreMetAsAQueryMeetsThem() {
        let five = ItemValue.number("5")
        #expect(Order.satisfies(five, nil))
        #expect(!Order.satisfies(nil, nil) && !Order.satisfies(.null, nil))
        #expect(Order.satisfies(five, .equals(.number("5.0"))))
        #expect(Order.satisfies(five, .lessThan(.number("6"))) && !Order.satisfies(five, .lessThan(five)))
        #expect(Order.satisfies(five, .lessThanOrEqual(five)))
        #expect(Order.satisfies(five, .greaterThan(.number("4"))) && !Order.satisfies(five, .greaterThan(five)))
        #expect(Order.satisfies(five, .greaterThanOrEqual(five)))
        #expect(Order.satisfies(five, .between(.number("1"), five)))
        #expect(!Order.satisfies(five, .between(.number("6"), .number("9"))))
        #expect(Order.satisfies("insert#2026", .beginsWith("insert#")))
        #expect(!Order.satisfies("update#2026", .beginsWith("insert#")) && !Order.satisfies(five, .beginsWith("5")))
    }
}
