import AMEGenerated
import AMERuntime
import Testing

/// The embedded store decodes only what a read projects, and still charges the whole item; the
/// executor projects what its selections read, so a query's answer and units do not change.
@Suite struct ReadProjectionTests {
    static let tenant = "t#default"
    static let table = TableDefinition(
        name: "projected", sortAttribute: "id", indexes: [IndexDefinition(name: "kind-index", sortAttribute: "kind")])

    /// An item with attributes whose names are prefixes of one another, a non-ASCII name in its
    /// composed form, a long string and a list.
    static func item(_ id: String) -> Item {
        [
            tenantAttribute: .string(tenant), "id": .string(id), "kind": "k",
            "a": .string(String(repeating: "x", count: 300)), "ab": "second", "caf\u{E9}": "composed",
            "list": .list(["one", .number("2"), .map(["nested": .bool(true)])]),
        ]
    }

    static func seeded() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: nil)
        try await store.createTable(table)
        try await store.batchWriteItem((0..<3).map { .put(table: table.name, item: item("item-\($0)")) })
        return store
    }

    @Test func aProjectedBatchReadDecodesExactlyTheNamedAttributesAndSizesTheWholeItem() async throws {
        let store = try await Self.seeded()
        let keys = ["item-0", "item-1", "missing"].map {
            TableKey(table: Self.table.name, key: ItemKey(partition: Self.tenant, sort: $0))
        }
        // `a` must not bring `ab`, and the decomposed `café` is another name than the stored one.
        let projection = ReadProjection(["id", "a", "cafe\u{301}"])
        let page = try await store.batchGetItem(keys, projections: [Self.table.name: projection])
        let whole = try await store.batchGetItem(keys)
        #expect(page.items.count == 2)
        for key in keys.prefix(2) {
            #expect(page.items[key].map { Set($0.keys) } == ["id", "a"])
            #expect(page.items[key]?["a"] == whole[key]?["a"])
            #expect(page.itemBytes?[key] == whole[key].map(CapacityRules.size(of:)))
        }
        #expect(page.items[keys[2]] == nil)
        #expect(page.itemBytes?[keys[2]] == nil)
        // A table the read does not project is read whole, and sized as well.
        let unprojected = try await store.batchGetItem(keys, projections: ["other": projection])
        #expect(unprojected.items == whole)
        for key in keys.prefix(2) {
            #expect(unprojected.itemBytes?[key] == whole[key].map(CapacityRules.size(of:)))
        }
    }

    @Test func aProjectedQueryKeepsItsPagingAndReportsTheWholeItemsSize() async throws {
        let store = try await Self.seeded()
        for index in [nil, "kind-index"] {
            var request = QueryRequest(
                table: Self.table.name, index: index, partition: .string(Self.tenant), limit: 2)
            let whole = try await store.query(request)
            request.projection = ReadProjection(["id", "list"])
            let projected = try await store.query(request)
            // The key attributes come too: a page's `lastEvaluatedKey` is made of them.
            let keys: Set<String> = index == nil ? [tenantAttribute, "id"] : [tenantAttribute, "id", "kind"]
            #expect(projected.items.map { Set($0.keys) } == [keys.union(["list"]), keys.union(["list"])])
            #expect(projected.items.map { $0["list"] } == whole.items.map { $0["list"] })
            #expect(projected.lastEvaluatedKey == whole.lastEvaluatedKey)
            #expect(projected.lastEvaluatedKey != nil)
            #expect(projected.evaluatedBytes == whole.items.reduce(0) { $0 + CapacityRules.size(of: $1) })
        }
    }

    /// Narrow selections over every read path (a root list, belongsTo, hasMany, a get, a filter
    /// on an attribute not selected) answer what the widest selection answers for the same
    /// fields, with the same items read and the same units.
    @Test(arguments: StoreBackend.allCases)
    func narrowSelectionsAnswerAndChargeAsWideOnesDo(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend) else { return }
        let place = try #require(test.keys.places.first)
        let cases: [(narrow: String, wide: String)] = [
            (
                "{ contactProfileList(limit: 20) { contactProfileList { email place { corporationProfile { businessName } } } } }",
                """
                { contactProfileList(limit: 20) { contactProfileList { email firstName lastName createdAt updatedAt
                  placeUuid place { businessName address types corporationUuid corporationProfile { businessName
                  categories corporationType externalId } } } } }
                """
            ),
            (
                "{ place(placeUuid: \"\(place)\") { contactProfiles(limit: 3) { contactProfileList { email } nextToken } } }",
                """
                { place(placeUuid: "\(place)") { businessName region contactProfiles(limit: 3) { contactProfileList {
                  email firstName lastName placeUuid createdAt } nextToken } } }
                """
            ),
            (
                "{ corporationProfileList(category: \"sample\") { corporationProfileList { businessName } total } }",
                """
                { corporationProfileList(category: "sample") { corporationProfileList { businessName categories
                  corporationType externalId address } total } }
                """
            ),
        ]
        for (narrow, wide) in cases {
            let small = await test.run(narrow)
            let large = await test.run(wide)
            #expect(small.errorCodes == [], "\(small.json.jsonText)")
            #expect(large.errorCodes == [], "\(large.json.jsonText)")
            #expect(Self.restricted(large.data, to: small.data) == small.data, "\(narrow)")
            #expect(small.cost.itemsRead == large.cost.itemsRead, "\(narrow)")
            #expect(small.cost.units == large.cost.units, "\(narrow)")
        }
    }

    /// `value` with only the members `shape` has, recursively (lists element by element).
    static func restricted(_ value: JSONValue?, to shape: JSONValue?) -> JSONValue? {
        switch (value, shape) {
        case (.object(let object)?, .object(let wanted)?):
            return .object(JSONObject(wanted.pairs.map { ($0.0, restricted(object[$0.0], to: $0.1) ?? .null) }))
        case (.array(let values)?, .array(let wanted)?):
            return .array(zip(values, wanted).map { restricted($0, to: $1) ?? .null })
        default:
            return value
        }
    }
}
