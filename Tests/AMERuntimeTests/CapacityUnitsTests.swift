import AMERuntime
import AMEServer
import Foundation
import Testing

@testable import AMERuntime

/// DynamoDB's published size and capacity rules, as ``CapacityRules`` applies them.
@Suite struct CapacityRulesTests {
    @Test func sizesFollowDynamoDBsRulesForEveryType() {
        #expect(CapacityRules.size(of: ["name": "abc"]) == 7)
        #expect(CapacityRules.size(of: ["é": "é"]) == 4)  // UTF-8 bytes, names and values
        #expect(CapacityRules.size(of: .number("123")) == 3)  // 3 significant digits: 2 bytes + 1
        #expect(CapacityRules.size(of: .number("1.50")) == 2)  // trailing zero trimmed: "15"
        #expect(CapacityRules.size(of: .number("-0.0012")) == 2)  // leading zeros trimmed: "12"
        #expect(CapacityRules.size(of: .number("0")) == 1)
        #expect(CapacityRules.size(of: .number("12345678901234567890")) == 11)
        #expect(CapacityRules.size(of: .number("1E+30")) == 2)
        #expect(CapacityRules.size(of: .bool(true)) == 1)
        #expect(CapacityRules.size(of: .null) == 1)
        #expect(CapacityRules.size(of: .list([])) == 3)
        #expect(CapacityRules.size(of: .list(["a", .bool(false)])) == 3 + (1 + 1) + (1 + 1))
        #expect(CapacityRules.size(of: .map(["ab": "c"])) == 3 + 1 + 2 + 1)
        #expect(CapacityRules.size(of: .stringSet(["ab", "c"])) == 3)
    }

    @Test func theEmbeddedStoresEncodingWeighsWhatTheItemWeighs() throws {
        let item: Item = [
            "tenant": "acme#default", "key": "k-1", "name": "Ada Lovelace", "score": .number("98.50"),
            "tags": .stringSet(["a", "bc"]), "flags": .list([.bool(true), .null, .number("7")]),
            "address": .map(["city": "Springfield", "zip": "62701", "geo": .map(["lat": .number("39.78")])]),
        ]
        let encoded = ItemCodec.encode(item)
        let size = try encoded.withUnsafeBytes { try ItemCodec.capacitySize($0) }
        #expect(size == CapacityRules.size(of: item))
    }

    @Test func readsRoundUpTo4KBPerItemForKeysAndOncePerQuery() {
        #expect(CapacityRules.readUnits(bytes: 0, consistent: true) == 1)
        #expect(CapacityRules.readUnits(bytes: 4096, consistent: true) == 1)
        #expect(CapacityRules.readUnits(bytes: 4097, consistent: true) == 2)
        #expect(CapacityRules.readUnits(bytes: 4097, consistent: false) == 1)
        #expect(CapacityRules.readUnits(bytes: 10, consistent: false) == 0.5)
        // Two items of 1.5 KB and 6.5 KB: 4 KB + 8 KB, not 8 KB.
        let small = TableKey(table: "t", key: ItemKey(partition: "p", sort: "a"))
        let large = TableKey(table: "t", key: ItemKey(partition: "p", sort: "b"))
        let absent = TableKey(table: "t", key: ItemKey(partition: "p", sort: "c"))
        let found: [TableKey: Item] = [
            small: ["v": .string(String(repeating: "x", count: 1535))],
            large: ["v": .string(String(repeating: "x", count: 6655))],
        ]
        #expect(CapacityRules.batchGet([small, large], found: found) == 3)
        #expect(CapacityRules.batchGet([small, large, absent], found: found) == 4)
        #expect(CapacityRules.query(bytes: 8193, consistent: true) == 3)
        #expect(CapacityRules.query(bytes: 8192, consistent: true) == 2)
    }

    @Test func writesRoundUpTo1KBTwiceInATransactionWithTheirIndexEntries() {
        let table = TableDefinition(
            name: "t", sortAttribute: "key",
            indexes: [
                IndexDefinition(name: "by-name", sortAttribute: "name"),
                IndexDefinition(name: "by-email", sortAttribute: "email", projection: .keysOnly),
            ])
        let big = String(repeating: "x", count: 1500)
        let item: Item = ["tenant": "p", "key": "k", "name": .string(big)]
        // The item (2 KB) and its by-name entry (all of it, 2 KB); by-email is sparse here.
        #expect(
            CapacityRules.write(
                [.put(table: "t", item: item, condition: nil)], tables: ["t": table], transactional: false) == 4)
        #expect(
            CapacityRules.write(
                [.put(table: "t", item: item, condition: nil)], tables: ["t": table], transactional: true) == 8)
        var withEmail = item
        withEmail["email"] = "a@b"
        // A keys-only entry: tenant, key and email, well under 1 KB.
        #expect(
            CapacityRules.write(
                [.put(table: "t", item: withEmail, condition: nil)], tables: ["t": table], transactional: false)
                == 5)
        let key = ItemKey(partition: "p", sort: "k")
        #expect(
            CapacityRules.write(
                [
                    .delete(table: "t", key: key, condition: nil),
                    .conditionCheck(table: "t", key: key, condition: .exists),
                ],
                tables: ["t": table], transactional: true) == 4)
    }

    @Test func dynamoDBsConsumedCapacityIsReadForReadsAndWrites() throws {
        let query = try JSONValue.parse(#"{"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 2.5}}"#)
        #expect(DynamoDBStore.consumedCapacity(query, operation: "Query") == CapacityUnits(read: 2.5))
        let batch = try JSONValue.parse(
            #"{"ConsumedCapacity": [{"TableName": "a", "CapacityUnits": 1}, {"TableName": "b", "CapacityUnits": 3}]}"#)
        #expect(DynamoDBStore.consumedCapacity(batch, operation: "BatchGetItem") == CapacityUnits(read: 4))
        #expect(DynamoDBStore.consumedCapacity(batch, operation: "TransactWriteItems") == CapacityUnits(write: 4))
        let split = try JSONValue.parse(
            #"{"ConsumedCapacity": {"CapacityUnits": 3, "ReadCapacityUnits": 1, "WriteCapacityUnits": 2}}"#)
        #expect(
            DynamoDBStore.consumedCapacity(split, operation: "TransactWriteItems") == CapacityUnits(read: 1, write: 2))
        #expect(DynamoDBStore.consumedCapacity(try JSONValue.parse("{}"), operation: "Query") == nil)
    }
}

/// `extensions.cost` in DynamoDB's units: the same on both stores for the same data and queries,
/// estimated before execution, and listed per level in `extensions.plan` when asked for.
@Suite struct CapacityUnitsTests {
    static let seed = SampleData(corporations: 1, places: 2, contacts: 12, requests: 3)

    static let queries = [
        "{ contactProfileList(limit: 5) { contactProfileList { contactUuid firstName data } total } }",
        "{ contactProfileList(limit: 20) { contactProfileList { contactUuid place { placeUuid corporationProfile { businessName } } } } }",
        "{ placeList(limit: 2) { placeList { placeUuid contactProfiles(limit: 10) { contactProfileList { email } } } } }",
    ]

    /// The units of each of ``queries``, and of a get and a write, on `backend`.
    private func measure(_ backend: StoreBackend) async throws -> [CapacityUnits]? {
        guard let test = try await TestEngine(backend: backend, seed: Self.seed) else { return nil }
        var units: [CapacityUnits] = []
        for query in Self.queries {
            let response = await test.run(query)
            #expect(response.errorCodes == [], "\(response.json.jsonText)")
            units.append(response.cost.units)
        }
        let get = await test.run(
            "query($id: String) { contactProfile(contactUuid: $id) { contactUuid } }",
            variables: ["id": .string(test.keys.contacts[0])])
        // One BatchGetItem of one small item: 1 read unit, on both stores.
        #expect(get.cost.units == CapacityUnits(read: 1), "\(get.json.jsonText)")
        units.append(get.cost.units)
        let write = await test.run(
            #"mutation { insertUpdatePlace(region: "north", latitude: "1.5", longitude: "2.5", businessName: "Units", address: "1 Main St", phoneNumber: "+1-555-0100", website: "https://p.example", types: ["store"], updatedBy: "t") { place { placeUuid } } }"#
        )
        #expect(write.errorCodes == [], "\(write.json.jsonText)")
        #expect(write.cost.units.write > 0)
        units.append(CapacityUnits(read: 0, write: write.cost.units.write))
        // What the store reported: nothing on the embedded store; DynamoDB's `ConsumedCapacity`
        // (moto reports it for reads).
        switch backend {
        case .embedded: #expect(get.cost.consumedUnits == nil && write.cost.consumedUnits == nil)
        case .dynamoDB: #expect((get.cost.consumedUnits?.read ?? 0) > 0, "DynamoDB reported no consumed capacity")
        }
        return units
    }

    @Test func bothStoresReportTheSameUnitsForTheSameQueries() async throws {
        let embedded = try #require(try await measure(.embedded))
        #expect(embedded.allSatisfy { !$0.isZero })
        guard let dynamoDB = try await measure(.dynamoDB) else { return }
        #expect(embedded == dynamoDB)
    }

    @Test func aCountIsPricedForTheItemsItReads() async throws {
        let test = try #require(
            try await TestEngine(
                backend: .embedded, seed: SampleData(corporations: 0, places: 1, contacts: 400, requests: 0)))
        let page = await test.run("{ contactProfileList(limit: 1) { contactProfileList { contactUuid } } }")
        let counted = await test.run("{ contactProfileList(limit: 1) { contactProfileList { contactUuid } total } }")
        #expect(counted.data?["contactProfileList"]?["total"] == 400)
        // Counting 400 contacts reads all of them: far more than the one-item page.
        #expect(counted.cost.units.read >= page.cost.units.read + 10, "\(counted.json.jsonText)")
    }

    @Test func theEstimateIsMadeFromThePlanBeforeAnythingIsRead() async throws {
        let test = try #require(try await TestEngine(backend: .embedded, seed: nil))
        // A page of 8 items assumed of 1 KB: 8 KB, 2 units; `total` counts as much again.
        let list = await test.run("{ contactProfileList(limit: 8) { contactProfileList { contactUuid } } }")
        #expect(list.cost.estimatedUnits == CapacityUnits(read: 2))
        let counted = await test.run("{ contactProfileList(limit: 8) { contactProfileList { contactUuid } total } }")
        #expect(counted.cost.estimatedUnits == CapacityUnits(read: 4))
        // Each of the 8 contacts then reads its place: 8 more.
        let nested = await test.run(
            "{ contactProfileList(limit: 8) { contactProfileList { contactUuid place { placeUuid } } } }")
        #expect(nested.cost.estimatedUnits == CapacityUnits(read: 10))
        let write = await test.run(
            #"mutation { insertUpdatePlace(region: "north", latitude: "1.5", longitude: "2.5", businessName: "E", address: "1 Main St", phoneNumber: "+1-555-0100", website: "https://p.example", types: ["store"], updatedBy: "t") { place { placeUuid } } }"#
        )
        #expect(write.cost.estimatedUnits.write > 0)
        // An empty tenant: the list read nothing, but its Query still cost the minimum.
        #expect(list.cost.units == CapacityUnits(read: 1))
        #expect(list.json["extensions"]?["cost"]?["estimatedReadUnits"] == .double(2))
    }

    @Test(arguments: StoreBackend.allCases)
    func thePlanListsEveryStoreCallByLevelWithItsUnits(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend, seed: Self.seed) else { return }
        let query =
            "{ contactProfileList(limit: 4) { contactProfileList { contactUuid place { corporationProfile { businessName } } } } }"
        let plain = await test.run(query)
        #expect(plain.json["extensions"]?["plan"] == nil)
        let response = await test.run(query, extensions: ["plan": true])
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        let plan = try #require(response.json["extensions"]?["plan"])
        let levels = plan["levels"]?.arrayValue ?? []
        #expect(levels.compactMap { $0["level"]?.intValue } == [1, 2, 3])
        let operations = levels.flatMap { $0["operations"]?.arrayValue ?? [] }
        #expect(operations.compactMap { $0["operation"]?.stringValue } == ["Query", "BatchGetItem", "BatchGetItem"])
        #expect(operations.count == response.cost.storeCalls)
        #expect(operations[0]["table"]?.stringValue?.hasSuffix("contact_profiles") == true, "\(operations[0])")
        #expect((4...5).contains(operations[0]["items"]?.intValue ?? 0))  // one more tells whether a page follows
        #expect(operations[1]["keys"]?.intValue ?? 0 >= 1)
        let read = operations.reduce(0.0) { $0 + ($1["readUnits"]?.doubleValue ?? 0) }
        #expect(read == response.cost.units.read)
        let levelRead = levels.reduce(0.0) { $0 + ($1["readUnits"]?.doubleValue ?? 0) }
        #expect(levelRead == read)
        if backend == .dynamoDB { #expect(operations.allSatisfy { $0["consumedReadUnits"] != nil }) }
    }
}
