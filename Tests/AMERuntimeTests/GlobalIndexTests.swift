import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// A global index whose partition carries the tenant (`last_name-index` of ContactProfile:
/// partition `tenant#last_name-index` = the tenant and the last name) serves a tenant's lists,
/// never returns another tenant's items, and is read again by key, so a list sees the writes
/// before it. The same on both stores.
@Suite struct GlobalIndexTests {
    static let seed = SampleData(corporations: 0, places: 1, contacts: 0, requests: 0)

    private func emails(
        _ test: TestEngine, last: String, tenant: Tenant = TestEngine.tenantA, limit: Int = 10
    )
        async -> (emails: [String], response: GraphQLResponse)
    {
        let response = await test.run(
            "query($l: String) { contactProfileList(lastName: $l, limit: \(limit)) { contactProfileList { email } total } }",
            variables: ["l": .string(last)], tenant: tenant, extensions: ["plan": true])
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        let list = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        return (list.compactMap { $0["email"]?.stringValue }.sorted(), response)
    }

    @Test(arguments: StoreBackend.allCases)
    func aListThroughTheGlobalIndexReadsOnlyTheTenantsMatches(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend, seed: Self.seed) else { return }
        let other = TestEngine.tenantB
        _ = try await Self.seed.load(into: test.engine, tenant: other)
        for index in 0..<3 {
            _ = try await test.insertContact(email: "a\(index)@x", last: "Hopper", tenant: TestEngine.tenantA)
        }
        _ = try await test.insertContact(email: "a9@x", last: "Turing", tenant: TestEngine.tenantA)
        // Another tenant's contacts of the same name are in the same index, under another partition.
        let place = try #require(
            await test.run("{ placeList(limit: 1) { placeList { placeUuid } } }", tenant: other)
                .data?["placeList"]?["placeList"]?.arrayValue.first?["placeUuid"]?.stringValue)
        for index in 0..<2 {
            let response = await test.run(
                """
                mutation { insertUpdateContactProfile(email: "b\(index)@x", firstName: "F", lastName: "Hopper",
                  placeUuid: "\(place)", updatedBy: "t") { contactProfile { contactUuid } } }
                """, tenant: other)
            #expect(response.errorCodes == [], "\(response.json.jsonText)")
        }

        let (found, response) = await emails(test, last: "Hopper")
        #expect(found == ["a0@x", "a1@x", "a2@x"])
        #expect(response.data?["contactProfileList"]?["total"] == 3)
        #expect(response.cost.itemsScanned == 0)
        let operations = (response.json["extensions"]?["plan"]?["levels"]?.arrayValue ?? [])
            .flatMap { $0["operations"]?.arrayValue ?? [] }
        #expect(operations.first?["index"] == "last_name-index", "\(operations)")
        // The page's entries are read again by key.
        #expect(operations.contains { $0["operation"] == "BatchGetItem" })
        #expect(await emails(test, last: "Hopper", tenant: other).emails == ["b0@x", "b1@x"])
        #expect(await emails(test, last: "Nobody").emails == [])

        // Paging through the index: two pages of 2 and 1.
        let first = await test.run(
            #"{ contactProfileList(lastName: "Hopper", limit: 2) { contactProfileList { email } nextToken } }"#)
        let token = try #require(first.data?["contactProfileList"]?["nextToken"]?.stringValue, "\(first.json.jsonText)")
        let second = await test.run(
            "query($t: String) { contactProfileList(lastName: \"Hopper\", limit: 2, nextToken: $t) { contactProfileList { email } nextToken } }",
            variables: ["t": .string(token)])
        let pages = [first, second].flatMap {
            $0.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.compactMap { $0["email"]?.stringValue }
                ?? []
        }
        #expect(pages.sorted() == ["a0@x", "a1@x", "a2@x"])
        #expect(second.data?["contactProfileList"]?["nextToken"] == .null)
        // Tenant B cannot continue tenant A's list with A's token.
        let stolen = await test.run(
            "query($t: String) { contactProfileList(lastName: \"Hopper\", limit: 2, nextToken: $t) { contactProfileList { email } } }",
            variables: ["t": .string(token)], tenant: other)
        #expect(stolen.errorCodes == ["BAD_USER_INPUT"], "\(stolen.json.jsonText)")
    }

    @Test(arguments: StoreBackend.allCases)
    func aListThroughTheGlobalIndexSeesTheWritesBeforeIt(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend, seed: Self.seed) else { return }
        let id = try await test.insertContact(email: "moved@x", last: "Liskov", tenant: TestEngine.tenantA)
        #expect(await emails(test, last: "Liskov").emails == ["moved@x"])
        let renamed = await test.run(
            "mutation($id: String) { insertUpdateContactProfile(contactUuid: $id, lastName: \"Hamilton\", updatedBy: \"t\") { contactProfile { lastName } } }",
            variables: ["id": .string(id)])
        #expect(renamed.errorCodes == [], "\(renamed.json.jsonText)")
        #expect(await emails(test, last: "Liskov").emails == [])
        #expect(await emails(test, last: "Hamilton").emails == ["moved@x"])
        let deleted = await test.run(
            "mutation($id: String!) { deleteContactProfile(contactUuid: $id) { ok } }", variables: ["id": .string(id)])
        #expect(deleted.errorCodes == [], "\(deleted.json.jsonText)")
        #expect(await emails(test, last: "Hamilton").emails == [])
    }
}

/// The composed partition of a global index: the tenant's key continued by the escaped value, so
/// that no tenant's (or value's) bytes can reach another tenant's partition.
@Suite struct GlobalIndexPartitionTests {
    @Test func thePartitionIsTheTenantAndTheEscapedValueOrTheTenantAlone() {
        let byName = IndexDefinition.global(name: "by-name", partitionField: "name", sortAttribute: "key")
        #expect(byName.partitionAttribute == "tenant#by-name")
        #expect(byName.partitionValue(tenant: "acme#default", fieldValue: "Ada") == "acme#default#s:Ada")
        #expect(byName.partitionValue(tenant: "acme#default", fieldValue: .number("7")) == "acme#default#n:7.0")
        // A value with the separator cannot end where another tenant's partition would.
        let forged = byName.partitionValue(tenant: "acme", fieldValue: "x#y")
        #expect(forged == "acme#s:x%23y")
        #expect(forged != byName.partitionValue(tenant: "acme#s:x", fieldValue: "y"))
        #expect(byName.partitionValue(tenant: "acme#default", fieldValue: nil) == nil)
        #expect(byName.partitionValue(tenant: "acme#default", fieldValue: .null) == nil)
        // Without a partition field, the table's own `tenant` attribute: no composed attribute.
        let tenantOnly = IndexDefinition.global(name: "by-key", sortAttribute: "name")
        #expect(tenantOnly.partitionAttribute == tenantAttribute && tenantOnly.isGlobal)
        #expect(tenantOnly.partitionValue(tenant: "acme#default", fieldValue: nil) == "acme#default")
    }
}

/// A store whose contacts were written before `last_name-index` was declared: the embedded store
/// builds the added index from its items, giving each the composed partition it lacks, so the
/// contacts are found through it as if the write path had stored them with it.
@Suite struct GlobalIndexUpgradeTests {
    @Test func contactsStoredBeforeTheIndexAreFoundThroughItOnceTheStoreBuildsIt() async throws {
        let store = try SQLiteStore(path: nil)
        let registry = AMESchemaRegistry.registry
        let contacts = try #require(registry.tableDefinitions.first { $0.name.hasSuffix("contact_profiles") })
        var before = contacts
        before.indexes.removeAll { $0.isGlobal }
        try await store.createTable(before)
        let tenant = TestEngine.tenantA.partitionKey
        // As an earlier version stored it: no `tenant#last_name-index`.
        let old: Item = [
            tenantAttribute: .string(tenant), "contact_uuid": "c-1", "email": "ada@example.com",
            "last_name": "Lovelace", "place_uuid": "p-1", "version": .number("1"),
        ]
        try await store.transactWriteItems([.put(table: contacts.name, item: old, condition: nil)])
        let engine = try GraphQLEngine(registry: registry, store: store)
        try await engine.createTables()
        let stored = try await store.getItem(table: contacts.name, key: ItemKey(partition: tenant, sort: "c-1"))
        #expect(stored?["tenant#last_name-index"] == .string(tenant + "#s:Lovelace"))
        let response = await engine.execute(
            GraphQLRequest(query: #"{ contactProfileList(lastName: "Lovelace") { contactProfileList { email } } }"#),
            tenant: TestEngine.tenantA)
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        #expect(response.data?["contactProfileList"]?["contactProfileList"] == [["email": "ada@example.com"]])
    }
}
