import AMEGenerated
import AMERuntime
import Foundation
import Testing

/// `ame tables create` and `ame serve` check every existing table's keys and indexes against the
/// schema and refuse on a mismatch, naming the table, the expected and the found keys.
@Suite struct TableCheckTests {
    @Test func theOriginalsTablesAreRefusedWithTheirKeysAndNothingIsCreated() async throws {
        guard let original = try await OriginalTables.make() else { return }
        let registry = AMESchemaRegistry.registry.withTablePrefix(original.prefix)
        let store = original.store(tables: registry.tableDefinitions)
        let engine = try GraphQLEngine(registry: registry, store: store)
        let before = try await store.listTables().filter { $0.hasPrefix(original.prefix) }
        let error = await #expect(throws: StoreError.self) { try await engine.createTables() }
        let message = error?.description ?? ""
        #expect(
            message.contains(
                "table \(original.prefix)contact_profiles: its keys are hash partition_key (S), range contact_uuid (S), but AME expects hash tenant (S), range contact_uuid (S)"
            ))
        #expect(
            message.contains(
                "table \(original.prefix)activity_history: its keys are hash id (S), range timestamp (N), but AME expects hash tenant (S), range history_key (S)"
            ))
        #expect(message.contains("AME_TABLE_PREFIX"))
        #expect(message.components(separatedBy: "\n  table ").count == 7, "six tables named: \(message)")
        let after = try await store.listTables().filter { $0.hasPrefix(original.prefix) }
        #expect(after == before, "unique_values was not created beside the original's tables")
    }

    @Test func aMissingOrDifferentIndexIsNamedOnDynamoDB() async throws {
        guard let endpoint = try await MotoServer.shared.start() else { return }
        let prefix = "chk\(UUID().uuidString.prefix(8).lowercased())-"
        let registry = AMESchemaRegistry.registry.withTablePrefix(prefix)
        let store = MotoServer.store(endpoint: endpoint, tables: registry.tableDefinitions)
        let engine = try GraphQLEngine(registry: registry, store: store)
        try await engine.createTables()
        try await engine.checkTables()  // AME's own tables pass.

        let contacts = registry.tableDefinitions.first { $0.name == "\(prefix)contact_profiles" }!
        var stripped = contacts
        stripped.name = "\(prefix)x-contact_profiles"
        stripped.indexes = stripped.indexes.filter { $0.name != "email-index" }
        try await store.createTable(stripped)
        var expected = contacts
        expected.name = stripped.name
        let error = await #expect(throws: StoreError.self) {
            try await TableCheck.verify([expected], in: store)
        }
        #expect(
            error?.description.contains(
                "table \(stripped.name): it lacks the index email-index (hash tenant (S), range email (S))") == true)
    }

    @Test func theEmbeddedStoreRefusesATableWithOtherKeysAndBuildsAddedIndexes() async throws {
        let store = try SQLiteStore(path: nil)
        let registry = AMESchemaRegistry.registry
        try await store.createTable(TableDefinition(name: registry.physicalTable("places"), sortAttribute: "id"))
        let engine = try GraphQLEngine(registry: registry, store: store)
        let error = await #expect(throws: StoreError.self) { try await engine.createTables() }
        #expect(
            error?.description.contains(
                "table ame-places: its keys are hash tenant (S), range id (S), but AME expects hash tenant (S), range place_uuid (S)"
            ) == true)
        #expect(try await store.listTables() == ["ame-places"], "nothing else was created")

        // An index the schema gained is not a mismatch: the embedded store builds it.
        let fresh = try SQLiteStore(path: nil)
        var places = registry.tableDefinitions.first { $0.name == "ame-places" }!
        places.indexes = []
        try await fresh.createTable(places)
        try await GraphQLEngine(registry: registry, store: fresh).createTables()
        #expect(try await fresh.describeTable(named: "ame-places")?.index(named: "region-index") != nil)
    }
}
