import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Synchronization
import Testing

/// The project's `layout: global` moves the runtime's own tables too: `attribute_values` and
/// `activity_history` get global indexes of the tenant, so neither holds a tenant in one item
/// collection, and the reads through them (`type-index`, `value_version_uuid-index`) answer as on
/// the local layout, each tenant its own records only.
@Suite struct RuntimeTablesLayoutTests {
    /// The generated schema as a project whose `schema/ame.yaml` says `layout: global` registers it
    /// (`LayoutSchemaTests` checks the generator emits the layout).
    static func registry(_ layout: RuntimeTablesLayout) -> SchemaRegistry {
        let generated = AMESchemaRegistry.registry
        return SchemaRegistry(
            sdl: generated.sdl, tablePrefix: generated.tablePrefix, entities: generated.entities,
            systemRecords: generated.systemRecords, schemaVersion: generated.schemaVersion,
            runtimeTablesLayout: layout)
    }

    static let seed = SampleData(corporations: 0, places: 1, contacts: 1, requests: 0)
    static let runtimeTables = [RuntimeTables.attributeValues, RuntimeTables.activityHistory]

    @Test func theLocalLayoutKeepsTheRuntimeTablesLocalIndexes() {
        // Existing deployments' tables must still pass the table check: the same definitions.
        let tables = Self.registry(.local).tableDefinitions
        #expect(AMESchemaRegistry.registry.runtimeTablesLayout == .local)
        #expect(tables == AMESchemaRegistry.registry.tableDefinitions)
        #expect(
            tables.first { $0.name == "ame-attribute_values" }?.indexes == [
                IndexDefinition(name: "value_version_uuid-index", sortAttribute: "value_version_uuid")
            ])
        #expect(
            tables.first { $0.name == "ame-activity_history" }?.indexes == [
                IndexDefinition(name: "type-index", sortAttribute: "type_timestamp")
            ])
    }

    @Test(arguments: StoreBackend.allCases)
    func aGlobalProjectCreatesTheRuntimeTablesWithoutLocalIndexes(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend, registry: Self.registry(.global), seed: nil) else {
            return
        }
        let registry = test.engine.registry
        for logical in Self.runtimeTables {
            let found = try #require(
                try await test.engine.store.describeTable(named: registry.physicalTable(logical)), "\(logical)")
            #expect(!found.indexes.isEmpty, "\(found)")
            #expect(found.indexes.allSatisfy { $0.isGlobal }, "\(found)")
            // Partitioned by the table's own `tenant` attribute: nothing composed is stored.
            #expect(found.indexes.allSatisfy { $0.partition.name == tenantAttribute }, "\(found)")
        }
        let history = try #require(
            try await test.engine.store.describeTable(named: registry.physicalTable(RuntimeTables.activityHistory)))
        #expect(history.index(named: "type-index")?.sort?.name == "type_timestamp")
        let values = try #require(
            try await test.engine.store.describeTable(named: registry.physicalTable(RuntimeTables.attributeValues)))
        #expect(values.index(named: "value_version_uuid-index")?.sort?.name == "value_version_uuid")
        // The tables pass the check, and creating them again changes nothing.
        try await test.engine.checkTables()
        try await test.engine.createTables()
    }

    @Test func aLocalDeploymentsRuntimeTablesAreRefusedByAGlobalProjectNamingTheIndex() async throws {
        guard let endpoint = try await MotoServer.shared.start() else { return }
        let prefix = "lay\(UUID().uuidString.prefix(8).lowercased())-"
        let local = Self.registry(.local).withTablePrefix(prefix)
        let store = MotoServer.store(endpoint: endpoint, tables: local.tableDefinitions)
        try await GraphQLEngine(registry: local, store: store).createTables()
        let global = try GraphQLEngine(registry: Self.registry(.global).withTablePrefix(prefix), store: store)
        let error = await #expect(throws: StoreError.self) { try await global.checkTables() }
        let message = error?.description ?? ""
        #expect(
            message.contains(
                "table \(prefix)activity_history: its index type-index has keys hash tenant (S), range type_timestamp (S), but AME expects hash tenant (S), range type_timestamp (S) (global)"
            ), "\(message)")
        #expect(message.contains("table \(prefix)attribute_values: its index value_version_uuid-index"), "\(message)")
    }

    @Test(arguments: StoreBackend.allCases)
    func theRuntimeIndexesAnswerOnAGlobalProjectAsOnALocalOne(_ backend: StoreBackend) async throws {
        guard let local = try await TestEngine(backend: backend, registry: Self.registry(.local), seed: Self.seed),
            let global = try await TestEngine(backend: backend, registry: Self.registry(.global), seed: Self.seed)
        else { return }
        let onLocal = try await Self.transcript(local)
        let onGlobal = try await Self.transcript(global)
        #expect(onGlobal == onLocal)
    }

    /// Audit records and `data` versions of two tenants written, listed by type, found by version
    /// and deleted: each answer (without its generated ids and times) as a line.
    static func transcript(_ test: TestEngine) async throws -> [String] {
        let other = TestEngine.tenantB
        let otherKeys = try await seed.load(into: test.engine, tenant: other)
        var lines: [String] = []
        for (id, type, log) in [
            ("note-1", "Note", "first"), ("note-2", "Note", "second"), ("note-3", "Other", "third"),
        ] {
            for tenant in [TestEngine.tenantA, other] {
                await insertRecord(test, id: id, type: type, log: "\(log) of \(tenant.endpointId)", tenant: tenant)
            }
        }
        let notes = try await logs(test, "type: \"Note\"")
        #expect(notes == ["first of tenant-a", "second of tenant-a"])
        #expect(try await logs(test, "activityTypes: [\"Note\"]") == notes)
        #expect(try await logs(test, "type: \"Note\", log: \"second\"") == ["second of tenant-a"])
        #expect(try await logs(test, "type: \"Note\"", tenant: other) == ["first of tenant-b", "second of tenant-b"])
        lines.append("notes: \(notes)")

        // Paging through the type index, one record a page; `total` counts the tenant's alone.
        var paged: [String] = []
        var tokens: [JSONValue] = [.null]
        for _ in 1...2 {
            let page = await test.run(
                "query($t: String) { activityHistoryList(type: \"Note\", limit: 1, nextToken: $t) { activityHistoryList { log } total nextToken } }",
                variables: ["t": tokens[tokens.count - 1]])
            let list = page.data?["activityHistoryList"]
            paged += list?["activityHistoryList"]?.arrayValue.compactMap { $0["log"]?.stringValue } ?? []
            // `total` is counted on the first page (a page number), not on one continued by token.
            #expect(list?["total"] == (tokens.count == 1 ? 2 : .null), "\(page.json.jsonText)")
            tokens.append(list?["nextToken"] ?? .null)
        }
        #expect(paged.sorted() == notes)
        #expect(tokens.last == .null)
        let token = try #require(tokens[1].stringValue)
        let stolen = await test.run(
            "query($t: String) { activityHistoryList(type: \"Note\", limit: 1, nextToken: $t) { activityHistoryList { log } } }",
            variables: ["t": .string(token)], tenant: other)
        #expect(stolen.errorCodes == ["BAD_USER_INPUT"], "\(stolen.json.jsonText)")

        // A deleted record leaves the type index.
        try await deleteRecords(test, id: "note-2")
        #expect(try await logs(test, "type: \"Note\"") == ["first of tenant-a"])
        #expect(try await logs(test, "type: \"Note\"", tenant: other) == ["first of tenant-b", "second of tenant-b"])
        lines.append("after delete: \(try await logs(test, "type: \"Note\""))")

        // `data` versions, found by their id through `value_version_uuid-index`.
        let contact = test.keys.contacts[0]
        for tier in ["silver", "gold"] {
            await setTier(test, contact, tier)
            await setTier(test, otherKeys.contacts[0], tier, tenant: other)
        }
        let versions = try await tierVersions(test, contact)
        let gold = try #require(versions.first { $0.value == "gold" }?.version)
        let silver = try #require(versions.first { $0.value == "silver" }?.version)
        #expect(try await version(test, gold) == "gold active")
        #expect(try await version(test, silver) == "silver inactive")
        #expect(try await version(test, gold, name: "contact-tier") == "gold active")
        #expect(try await version(test, gold, name: "contact-other") == "ENTITY_NOT_FOUND")
        // Another tenant's versions are in the same index, never found from here.
        let otherGold = try #require(
            try await tierVersions(test, otherKeys.contacts[0], tenant: other).first { $0.value == "gold" }?.version)
        #expect(try await version(test, otherGold) == "ENTITY_NOT_FOUND")
        #expect(try await version(test, gold, tenant: other) == "ENTITY_NOT_FOUND")
        let stolenDelete = await deleteVersion(test, gold, tenant: other)
        #expect(stolenDelete.errorCodes == ["ENTITY_NOT_FOUND"], "\(stolenDelete.json.jsonText)")
        #expect(try await version(test, gold) == "gold active")
        lines.append("versions: \(versions.map(\.value).sorted())")

        // Deleting the active version reactivates the previous one; naming a version rewrites it.
        let removed = await deleteVersion(test, gold)
        #expect(removed.data?["deleteAttributeValue"]?["ok"] == true, "\(removed.json.jsonText)")
        #expect(try await version(test, gold) == "ENTITY_NOT_FOUND")
        #expect(try await version(test, silver) == "silver active")
        let rewritten = await test.run(
            """
            mutation($k: String!, $v: String) { insertUpdateAttributeValue(dataType: "contact", dataIdentity: $k,
              attributeName: "tier", value: "platinum", valueVersionUuid: $v, updatedBy: "t") { attributeValue { value status } } }
            """, variables: ["k": .string(contact), "v": .string(silver)])
        #expect(
            rewritten.data?["insertUpdateAttributeValue"]?["attributeValue"] == [
                "value": "platinum", "status": "active",
            ],
            "\(rewritten.json.jsonText)")
        #expect(try await version(test, otherGold, tenant: other) == "gold active")
        lines.append(
            "after rewrite: \(try await tierVersions(test, contact).map { "\($0.value) \($0.status)" }.sorted())")
        return lines
    }

    /// Records an audit event by hand.
    static func insertRecord(_ test: TestEngine, id: String, type: String, log: String, tenant: Tenant) async {
        let inserted = await test.run(
            """
            mutation { insertActivityHistory(id: "\(id)", type: "\(type)", log: "\(log)", updatedBy: "t") {
              activityHistory { id } } }
            """, tenant: tenant)
        #expect(inserted.errorCodes == [], "\(inserted.json.jsonText)")
    }

    /// Deletes the tenant's audit records of `id` (found through the table, by `id`).
    static func deleteRecords(_ test: TestEngine, id: String) async throws {
        let record = await test.run(
            "query($i: String) { activityHistoryList(id: $i) { activityHistoryList { timestamp } } }",
            variables: ["i": .string(id)])
        let timestamp = try #require(
            record.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue.first?["timestamp"]?.stringValue
                .flatMap { Int($0) }, "\(record.json.jsonText)")
        let deleted = await test.run(
            "mutation($i: String!, $t: Int!) { deleteActivityHistory(id: $i, timestamp: $t) { ok } }",
            variables: ["i": .string(id), "t": .int(timestamp)])
        #expect(deleted.data?["deleteActivityHistory"]?["ok"] == true, "\(deleted.json.jsonText)")
    }

    /// Writes a contact's `data.tier` (a new version).
    static func setTier(
        _ test: TestEngine, _ contact: String, _ tier: String, tenant: Tenant = TestEngine.tenantA
    )
        async
    {
        let updated = await test.run(
            """
            mutation($k: String!, $d: JSONCamelCase) { insertUpdateContactProfile(contactUuid: $k, data: $d,
              updatedBy: "t") { contactProfile { contactUuid } } }
            """, variables: ["k": .string(contact), "d": ["tier": .string(tier)]], tenant: tenant)
        #expect(updated.errorCodes == [], "\(updated.json.jsonText)")
    }

    /// Deletes a version of `data`.
    static func deleteVersion(
        _ test: TestEngine, _ version: String, tenant: Tenant = TestEngine.tenantA
    ) async
        -> GraphQLResponse
    {
        await test.run(
            "mutation($v: String!) { deleteAttributeValue(valueVersionUuid: $v, updatedBy: \"t\") { ok } }",
            variables: ["v": .string(version)], tenant: tenant)
    }

    /// The logs of the audit records an `activityHistoryList` with `arguments` lists, sorted.
    static func logs(
        _ test: TestEngine, _ arguments: String, tenant: Tenant = TestEngine.tenantA
    ) async throws
        -> [String]
    {
        let response = await test.run(
            "{ activityHistoryList(\(arguments)) { activityHistoryList { log type } } }", tenant: tenant)
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        let records = try #require(response.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue)
        return records.compactMap { $0["log"]?.stringValue }.sorted()
    }

    /// The versions of a contact's `data.tier`, through the table (not an index).
    static func tierVersions(
        _ test: TestEngine, _ contact: String, tenant: Tenant = TestEngine.tenantA
    ) async throws
        -> [(version: String, value: String, status: String)]
    {
        let response = await test.run(
            """
            query($k: String!) { attributeValueList(dataType: "contact", dataIdentity: $k, attributeName: "tier") {
              attributeValueList { valueVersionUuid value status } } }
            """, variables: ["k": .string(contact)], tenant: tenant)
        let list = try #require(
            response.data?["attributeValueList"]?["attributeValueList"]?.arrayValue, "\(response.json.jsonText)")
        return list.map {
            (
                $0["valueVersionUuid"]?.stringValue ?? "", $0["value"]?.stringValue ?? "",
                $0["status"]?.stringValue ?? ""
            )
        }
    }

    /// `attributeValue` of a version: `<value> <status>`, or the error code.
    static func version(
        _ test: TestEngine, _ version: String, name: String? = nil, tenant: Tenant = TestEngine.tenantA
    ) async throws -> String {
        var variables: JSONObject = ["v": .string(version)]
        if let name { variables["n"] = .string(name) }
        let response = await test.run(
            "query($v: String!, $n: String) { attributeValue(valueVersionUuid: $v, dataTypeAttributeName: $n) { value status } }",
            variables: variables, tenant: tenant)
        if let code = response.errorCodes.first { return code }
        let value = response.data?["attributeValue"]
        return "\(value?["value"]?.stringValue ?? "-") \(value?["status"]?.stringValue ?? "-")"
    }
}

/// Reads through a global index of a runtime table read the records again by key, so an index that
/// lags the writes (as DynamoDB's may, for a moment) never answers a record deleted or changed
/// since. The lag is injected: the index is answered from a copy of the store that stopped
/// receiving writes.
@Suite struct RuntimeTablesLaggingIndexTests {
    @Test func aLaggingIndexNeverAnswersADeletedRecordOrAStaleVersion() async throws {
        let store = try SnapshotIndexStore(try SQLiteStore(path: nil))
        let registry = RuntimeTablesLayoutTests.registry(.global)
        let engine = try GraphQLEngine(registry: registry, store: store)
        try await engine.createTables()
        let keys = try await RuntimeTablesLayoutTests.seed.load(into: engine, tenant: TestEngine.tenantA)
        let test = TestEngine(engine: engine, keys: keys)
        for (id, log) in [("note-1", "kept"), ("note-2", "deleted")] {
            await RuntimeTablesLayoutTests.insertRecord(
                test, id: id, type: "Note", log: log, tenant: TestEngine.tenantA)
        }
        let contact = keys.contacts[0]
        for tier in ["silver", "gold"] { await RuntimeTablesLayoutTests.setTier(test, contact, tier) }
        let versions = try await RuntimeTablesLayoutTests.tierVersions(test, contact)
        let gold = try #require(versions.first { $0.value == "gold" }?.version)
        let silver = try #require(versions.first { $0.value == "silver" }?.version)

        store.stopIndexing()
        try await RuntimeTablesLayoutTests.deleteRecords(test, id: "note-2")
        let removed = await RuntimeTablesLayoutTests.deleteVersion(test, gold)
        #expect(removed.data?["deleteAttributeValue"]?["ok"] == true, "\(removed.json.jsonText)")

        // The index still lists what was deleted, and the previous version as inactive.
        let history = registry.physicalTable(RuntimeTables.activityHistory)
        let stale = try await store.query(
            QueryRequest(
                table: history, index: RuntimeTables.typeIndex, partition: .string(TestEngine.tenantA.partitionKey),
                sortCondition: .beginsWith(RuntimeTables.typeTimestampFor(type: "Note", timestamp: ""))))
        #expect(stale.items.count == 2)
        // What is answered is what the table holds now.
        let listed = await test.run(
            #"{ activityHistoryList(type: "Note") { activityHistoryList { log } total } }"#)
        #expect(
            listed.data?["activityHistoryList"] == ["activityHistoryList": [["log": "kept"]], "total": 1],
            "\(listed.json.jsonText)")
        #expect(try await RuntimeTablesLayoutTests.version(test, gold) == "ENTITY_NOT_FOUND")
        #expect(try await RuntimeTablesLayoutTests.version(test, silver) == "silver active")
    }
}

/// A store whose global indexes lag: until ``stopIndexing()`` every write also goes to a copy,
/// after it the copy keeps what it had, and every Query of a global index is answered from it.
/// Fault injection only; everything else is the embedded store.
final class SnapshotIndexStore: ForwardingStore {
    let inner: any Store
    private let lagging: SQLiteStore
    private let indexing = Mutex(true)
    private let tables = Mutex([String: TableDefinition]())

    init(_ inner: any Store) throws {
        self.inner = inner
        lagging = try SQLiteStore(path: nil)
    }

    func stopIndexing() { indexing.withLock { $0 = false } }

    private var isIndexing: Bool { indexing.withLock { $0 } }

    func createTable(_ table: TableDefinition) async throws {
        try await inner.createTable(table)
        try await lagging.createTable(table)
        tables.withLock { $0[table.name] = table }
    }

    func query(_ request: QueryRequest) async throws -> QueryPage {
        let isGlobal = tables.withLock { $0[request.table] }?.index(named: request.index ?? "")?.isGlobal ?? false
        return try await (isGlobal ? lagging : inner).query(request)
    }

    func transactWriteItems(_ actions: [WriteAction]) async throws {
        try await inner.transactWriteItems(actions)
        if isIndexing { try await lagging.transactWriteItems(actions) }
    }

    func batchWriteItem(_ requests: [BatchWriteRequest]) async throws {
        try await inner.batchWriteItem(requests)
        if isIndexing { try await lagging.batchWriteItem(requests) }
    }
}
