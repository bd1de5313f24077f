import AMEGenerated
import AMERuntime
import Foundation
import Synchronization
import Testing

@testable import AMEServer

/// `ame migrate layout` in process, on both stores: ContactProfile's items copied from its
/// table in the local layout (`contact_profiles`) into a table of the global layout
/// (`contact_profiles_global`), resumed after a failure, verified; and the in-place backfill of
/// `tenant#last_name-index` on items stored before the index was declared.
@Suite struct LayoutMigrationTests {
    static let tenantA = TestEngine.tenantA
    static let tenantB = TestEngine.tenantB

    /// The generated schema, with ContactProfile moved to `contact_profiles_global` in the
    /// global layout: as `layout: global` and another `table:` in its YAML would generate it.
    static func globalRegistry(prefix: String) -> SchemaRegistry {
        let base = AMESchemaRegistry.registry
        let entities = base.entities.map { entity in
            guard entity.name == "ContactProfile" else { return entity }
            var moved = entity
            moved.table = "contact_profiles_global"
            moved.indexes = entity.indexes.map { index in
                index.isGlobal
                    ? index
                    : .global(
                        name: index.name, sortAttribute: index.sortAttribute, sortIsNumber: index.sortIsNumber,
                        projection: index.projection)
            }
            return moved
        }
        return SchemaRegistry(
            sdl: base.sdl, tablePrefix: prefix, entities: entities, systemRecords: base.systemRecords,
            schemaVersion: base.schemaVersion + "-global")
    }

    /// One store holding the schema's tables (ContactProfile in the local layout) under a fresh
    /// prefix, and engines of the two schemas over it.
    struct Setup {
        let store: any Store
        /// The schema as deployed: ContactProfile in `contact_profiles`.
        let old: GraphQLEngine
        /// The schema with ContactProfile in `contact_profiles_global`.
        let new: GraphQLEngine

        var source: String { old.registry.physicalTable("contact_profiles") }
        var target: String { new.registry.physicalTable("contact_profiles_global") }

        init?(_ backend: StoreBackend, wrap: (any Store) -> any Store = { $0 }) async throws {
            let prefix = "lm\(UUID().uuidString.prefix(8).lowercased())-"
            let oldRegistry = AMESchemaRegistry.registry.withTablePrefix(prefix)
            let newRegistry = LayoutMigrationTests.globalRegistry(prefix: prefix)
            guard
                let store = try await backend.emptyStore(
                    for: oldRegistry.tableDefinitions + newRegistry.tableDefinitions)
            else { return nil }
            self.store = wrap(store)
            old = try GraphQLEngine(registry: oldRegistry, store: self.store)
            new = try GraphQLEngine(registry: newRegistry, store: self.store)
            try await old.createTables()
        }

        func migration(from source: String?, segments: Int = 2, pageSize: Int = 2) throws -> LayoutMigration {
            try LayoutMigration(
                engine: source == nil ? old : new, entity: "ContactProfile", from: source,
                options: .init(segments: segments, pageSize: pageSize))
        }

        func migration(segments: Int = 2, pageSize: Int = 2) throws -> LayoutMigration {
            try migration(from: self.source, segments: segments, pageSize: pageSize)
        }

        /// A contact as an earlier version stored it: no composed attribute.
        static func contact(_ id: String, last: String, tenant: Tenant, version: Int = 1, first: String = "F") -> Item {
            [
                tenantAttribute: .string(tenant.partitionKey), "contact_uuid": .string(id),
                "email": .string("\(id)@example.com"), "first_name": .string(first), "last_name": .string(last),
                "place_uuid": "p-1", "endpoint_id": .string(tenant.endpointId), "part_id": .string(tenant.partId),
                "version": .number(String(version)), "updated_at": "2026-01-01T00:00:00.000Z",
            ]
        }

        func put(_ items: [Item], in table: String) async throws {
            for item in items { try await store.transactWriteItems([.put(table: table, item: item, condition: nil)]) }
        }

        func item(_ id: String, tenant: Tenant, in table: String) async throws -> Item? {
            try await store.getItem(table: table, key: ItemKey(partition: tenant.partitionKey, sort: id))
        }

        /// The emails a list through `last_name-index` answers on `engine`.
        func emails(_ engine: GraphQLEngine, last: String, tenant: Tenant) async -> [String] {
            let response = await engine.execute(
                GraphQLRequest(
                    query: "query($l: String) { contactProfileList(lastName: $l) { contactProfileList { email } } }",
                    variables: ["l": .string(last)]),
                tenant: tenant)
            #expect(response.errorCodes == [], "\(response.json.jsonText)")
            let list = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
            return list.compactMap { $0["email"]?.stringValue }.sorted()
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func copiesTwoTenantsIntoTheGlobalLayoutWhoseIndexesServeEachTenantItsOwnItems(
        _ backend: StoreBackend
    )
        async throws
    {
        guard let setup = try await Setup(backend) else { return }
        // Tenant A's contacts written through the API (with their composed attribute), tenant B's
        // as an earlier version stored them (without).
        let place = try #require(
            try await SampleData(corporations: 0, places: 1, contacts: 0, requests: 0)
                .load(into: setup.old, tenant: Self.tenantA).places.first)
        for (index, last) in ["Hopper", "Hopper", "Turing"].enumerated() {
            let response = await setup.old.execute(
                GraphQLRequest(
                    query: """
                        mutation { insertUpdateContactProfile(email: "a\(index)@example.com", firstName: "F",
                          lastName: "\(last)", placeUuid: "\(place)", updatedBy: "t") { contactProfile { contactUuid } } }
                        """), tenant: Self.tenantA)
            #expect(response.errorCodes == [], "\(response.json.jsonText)")
        }
        try await setup.put(
            [
                Setup.contact("b0", last: "Hopper", tenant: Self.tenantB),
                Setup.contact("b1", last: "Hopper", tenant: Self.tenantB),
            ], in: setup.source)

        let report = try await setup.migration().run()
        #expect(report.totalWritten == 5 && report.totalUnchanged == 0, "\(report.lines)")
        #expect(report.lines.last?.contains("5 items of \(setup.source)") == true, "\(report.lines)")
        let description = try #require(try await setup.store.describeTable(named: setup.target))
        #expect(description.indexes.allSatisfy(\.isGlobal) && description.indexes.count == 3)
        let copied = try #require(try await setup.item("b0", tenant: Self.tenantB, in: setup.target))
        #expect(copied["tenant#last_name-index"] == .string(Self.tenantB.partitionKey + "#s:Hopper"))

        #expect(
            await setup.emails(setup.new, last: "Hopper", tenant: Self.tenantA) == ["a0@example.com", "a1@example.com"])
        #expect(
            await setup.emails(setup.new, last: "Hopper", tenant: Self.tenantB) == ["b0@example.com", "b1@example.com"])
        #expect(await setup.emails(setup.new, last: "Turing", tenant: Self.tenantB) == [])
        // Through an index of the tenant alone (local before, global now): the tenant's own.
        let byPlace = await setup.new.execute(
            GraphQLRequest(query: #"{ contactProfileList(placeUuid: "p-1") { contactProfileList { contactUuid } } }"#),
            tenant: Self.tenantB)
        #expect(byPlace.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 2)

        let verification = try await setup.migration().verify()
        #expect(verification.isEqual, "\(verification.differences)")
        #expect(verification.expectedItems == 5 && verification.foundItems == 5)
        // Run again: nothing to write.
        let again = try await setup.migration().run()
        #expect(again.pass == 2 && again.totalWritten == 0 && again.totalUnchanged == 5, "\(again.lines)")
        #expect(again.lines.contains { $0.contains("nothing to write") })
    }

    @Test(arguments: StoreBackend.allCases)
    func aRunThatFailsAfterSomePagesIsResumedAndCopiesEveryItemOnce(_ backend: StoreBackend) async throws {
        let failure = ScanFailure(afterPages: 3)
        guard let setup = try await Setup(backend, wrap: { failure.wrapping($0) }) else { return }
        let contacts = (0..<7).map {
            Setup.contact("c\($0)", last: "Lovelace", tenant: $0 < 4 ? Self.tenantA : Self.tenantB)
        }
        try await setup.put(contacts, in: setup.source)

        await #expect(throws: StoreError.self) { try await setup.migration(segments: 1, pageSize: 2).run() }
        let first = try await setup.store.describeTable(named: setup.target)
        #expect(first != nil)
        // Three pages of two were copied and checkpointed before the fourth Scan failed.
        let copied = [Self.tenantA, Self.tenantB]
        var found = 0
        for tenant in copied { found += await setup.emails(setup.new, last: "Lovelace", tenant: tenant).count }
        #expect(found == 6)

        failure.heal()
        let resumed = try await setup.migration(segments: 1, pageSize: 2).run()
        #expect(resumed.resumed && resumed.pass == 1, "\(resumed.lines)")
        #expect(resumed.totalWritten == 1 && resumed.totalUnchanged == 0, "\(resumed.lines)")
        #expect(resumed.lines.contains { $0.contains("(resumed)") })
        #expect(
            await setup.emails(setup.new, last: "Lovelace", tenant: Self.tenantB) == [
                "c4@example.com", "c5@example.com", "c6@example.com",
            ])
        #expect(try await setup.migration().verify().isEqual)
    }

    @Test(arguments: StoreBackend.allCases)
    func aTargetItemNewerThanTheSourcesIsKept(_ backend: StoreBackend) async throws {
        guard let setup = try await Setup(backend) else { return }
        try await setup.put(
            [
                Setup.contact("c1", last: "Curie", tenant: Self.tenantA),
                Setup.contact("c2", last: "Curie", tenant: Self.tenantA),
            ],
            in: setup.source)
        #expect(try await setup.migration().run().totalWritten == 2)
        // After the switch, the service writes c1 in the target (version 2); meanwhile the old
        // table still gets a write of c2, the copy's to bring over.
        var live = Setup.contact("c1", last: "Curie", tenant: Self.tenantA, version: 2, first: "Marie")
        live["tenant#last_name-index"] = .string(Self.tenantA.partitionKey + "#s:Curie")
        try await setup.put([live], in: setup.target)
        try await setup.put(
            [Setup.contact("c2", last: "Curie", tenant: Self.tenantA, version: 2, first: "Pierre")], in: setup.source)

        let report = try await setup.migration().run()
        #expect(report.totalWritten == 1 && report.totalKept == 1, "\(report.lines)")
        #expect(report.lines.contains { $0.contains("1 kept: newer in \(setup.target)") }, "\(report.lines)")
        #expect(try await setup.item("c1", tenant: Self.tenantA, in: setup.target)?["first_name"] == "Marie")
        #expect(try await setup.item("c2", tenant: Self.tenantA, in: setup.target)?["first_name"] == "Pierre")
        // Newer in the target is what a switch leads to: counted, not a difference.
        let verification = try await setup.migration().verify()
        #expect(verification.isEqual, "\(verification.differences)")
        #expect(verification.lines.contains { $0.contains("1 items newer than in") }, "\(verification.lines)")
    }

    @Test(arguments: StoreBackend.allCases)
    func backfillingInPlaceGivesItemsStoredBeforeTheIndexTheirComposedAttribute(
        _ backend: StoreBackend
    )
        async throws
    {
        guard let setup = try await Setup(backend) else { return }
        try await setup.put(
            [
                Setup.contact("o1", last: "Noether", tenant: Self.tenantA),
                Setup.contact("o2", last: "Noether", tenant: Self.tenantB),
            ],
            in: setup.source)
        #expect(await setup.emails(setup.old, last: "Noether", tenant: Self.tenantA) == [])
        let before = try await setup.migration(from: nil).verify()
        #expect(before.differenceCount == 2, "\(before.differences)")
        #expect(before.differences.allSatisfy { $0.contains("tenant#last_name-index") }, "\(before.differences)")

        let report = try await setup.migration(from: nil).run()
        #expect(report.totalWritten == 2, "\(report.lines)")
        #expect(await setup.emails(setup.old, last: "Noether", tenant: Self.tenantA) == ["o1@example.com"])
        #expect(await setup.emails(setup.old, last: "Noether", tenant: Self.tenantB) == ["o2@example.com"])
        #expect(try await setup.migration(from: nil).verify().isEqual)
        // The entity's own table named as the source is the same backfill: nothing left to do.
        let own = try LayoutMigration(engine: setup.old, entity: "ContactProfile", from: setup.source)
        #expect(own.inPlace)
        let again = try await own.run()
        #expect(again.pass == 2 && again.totalWritten == 0 && again.totalUnchanged == 2, "\(again.lines)")
        #expect(again.lines.contains { $0.contains("every item has its composed attributes") }, "\(again.lines)")
    }

    @Test(arguments: StoreBackend.allCases)
    func verifyNamesAMissingItemAChangedOneAndOneWithoutItsComposedAttribute(_ backend: StoreBackend) async throws {
        guard let setup = try await Setup(backend) else { return }
        try await setup.put(
            (0..<4).map { Setup.contact("v\($0)", last: "Meitner", tenant: Self.tenantA) }, in: setup.source)
        _ = try await setup.migration().run()
        let key = { (id: String) in ItemKey(partition: Self.tenantA.partitionKey, sort: id) }
        try await setup.store.transactWriteItems([.delete(table: setup.target, key: key("v0"), condition: nil)])
        var changed = try #require(try await setup.item("v1", tenant: Self.tenantA, in: setup.target))
        changed["first_name"] = "Lise"
        try await setup.put([changed, Setup.contact("v9", last: "Meitner", tenant: Self.tenantA)], in: setup.target)

        let report = try await setup.migration().verify()
        #expect(report.differenceCount == 3, "\(report.differences)")
        let name = "\(setup.target) \(Self.tenantA.partitionKey)"
        #expect(report.differences.contains("\(name) v0: in \(setup.source), missing in \(setup.target)"))
        #expect(report.differences.contains("\(name) v1: differs from \(setup.source) in first_name"))
        #expect(
            report.differences.contains(
                "\(name) v9 (not in \(setup.source)): composed index attributes missing or wrong: tenant#last_name-index"
            ))
        #expect(report.expectedItems == 4 && report.foundItems == 4)
    }

    @Test(arguments: StoreBackend.allCases)
    func aWriteOfTheServiceBetweenTheCopysReadAndItsWriteStands(_ backend: StoreBackend) async throws {
        let writer = ConcurrentWriter()
        guard let setup = try await Setup(backend, wrap: { writer.wrapping($0) }) else { return }
        try await setup.put([Setup.contact("w1", last: "Hamilton", tenant: Self.tenantA)], in: setup.source)
        _ = try await setup.migration().run()
        try await setup.put(
            [Setup.contact("w1", last: "Hamilton", tenant: Self.tenantA, version: 2, first: "Old")], in: setup.source)
        // Just before the copy's conditional put, the service writes version 3 into the target.
        var live = Setup.contact("w1", last: "Hamilton", tenant: Self.tenantA, version: 3, first: "Live")
        live["tenant#last_name-index"] = .string(Self.tenantA.partitionKey + "#s:Hamilton")
        writer.before(table: setup.target, write: live)

        let report = try await setup.migration().run()
        #expect(report.totalWritten == 0 && report.totalKept == 1, "\(report.lines)")
        #expect(report.keptKeys == ["\(setup.target) \(Self.tenantA.partitionKey) w1"])
        #expect(try await setup.item("w1", tenant: Self.tenantA, in: setup.target)?["first_name"] == "Live")
    }

    @Test func aStampedItemKeepsAValidStampAndLosesTheAttributeOfAnIndexTheTargetLacks() async throws {
        guard let setup = try await Setup(.embedded) else { return }
        var migrated = Setup.contact("s1", last: "Franklin", tenant: Self.tenantA)
        migrated["tenant#retired-index"] = "stale"
        try await setup.put([ItemDigest.stamped(migrated)], in: setup.source)
        #expect(try await setup.migration().run().totalWritten == 1)
        let copied = try #require(try await setup.item("s1", tenant: Self.tenantA, in: setup.target))
        #expect(copied["tenant#retired-index"] == nil)
        #expect(copied["tenant#last_name-index"] == .string(Self.tenantA.partitionKey + "#s:Franklin"))
        // `ame migrate from-original` still sees it as it wrote it.
        #expect(ItemDigest.isUnchangedSinceMigration(copied))
        #expect(try await setup.migration().verify().isEqual)
    }

    @Test func badInputIsNamedAndNothingIsWritten() async throws {
        guard let setup = try await Setup(.embedded) else { return }
        let unknown = try #require(throws: MigrationError.self) {
            try LayoutMigration(engine: setup.new, entity: "contact_profile", from: setup.source)
        }
        #expect("\(unknown)".contains("no entity `contact_profile` (did you mean `ContactProfile`?)"), "\(unknown)")
        #expect("\(unknown)".contains("CorporationProfile"))
        let nothing = try #require(throws: MigrationError.self) {
            try LayoutMigration(engine: setup.old, entity: "Place", from: nil)
        }
        #expect("\(nothing)".contains("no global index with a `partition` field"), "\(nothing)")
        let places = setup.old.registry.physicalTable("places")
        let keys = try await #require(throws: MigrationError.self) { try await setup.migration(from: places).run() }
        #expect(
            "\(keys)"
                == "the keys of `\(places)` are hash tenant (S), range place_uuid (S), but the entity's are hash tenant (S), range contact_uuid (S) (nothing was written): give --from-table the entity's old table"
        )
        let missing = try await #require(throws: MigrationError.self) {
            try await setup.migration(from: "no-such-table").verify()
        }
        #expect("\(missing)".hasPrefix("the source table `no-such-table` does not exist"), "\(missing)")
        // Nothing was created or written.
        #expect(try await setup.store.describeTable(named: setup.target) == nil)
        let noTarget = try await #require(throws: MigrationError.self) { try await setup.migration().verify() }
        #expect("\(noTarget)".hasPrefix("the target table `\(setup.target)` does not exist"), "\(noTarget)")
    }
}

/// A store whose Scans fail once `afterPages` pages were read: a copy interrupted half-way.
final class ScanFailure: Sendable {
    let remaining: Mutex<Int>

    init(afterPages pages: Int) { remaining = Mutex(pages) }

    /// Lets every further Scan through.
    func heal() { remaining.withLock { $0 = .max } }

    func wrapping(_ store: any Store) -> any Store { Wrapped(inner: store, failure: self) }

    struct Wrapped: ForwardingStore {
        let inner: any Store
        let failure: ScanFailure

        func scan(_ request: ScanRequest) async throws -> ScanPage {
            let left = failure.remaining.withLock { left in
                defer { left -= 1 }
                return left
            }
            guard left > 0 else { throw StoreError.unavailable("injected: the connection dropped") }
            return try await inner.scan(request)
        }
    }
}

/// A store on which a live service writes an item just before the copy's write of it.
final class ConcurrentWriter: Sendable {
    let pending = Mutex<(table: String, item: Item)?>(nil)

    func before(table: String, write item: Item) { pending.withLock { $0 = (table, item) } }

    func wrapping(_ store: any Store) -> any Store { Wrapped(inner: store, writer: self) }

    struct Wrapped: ForwardingStore {
        let inner: any Store
        let writer: ConcurrentWriter

        func transactWriteItems(_ actions: [WriteAction]) async throws {
            let write = writer.pending.withLock { pending -> (table: String, item: Item)? in
                guard let write = pending, actions.contains(where: { $0.table == write.table }) else { return nil }
                pending = nil
                return write
            }
            if let write {
                try await inner.transactWriteItems([.put(table: write.table, item: write.item, condition: nil)])
            }
            try await inner.transactWriteItems(actions)
        }
    }
}
