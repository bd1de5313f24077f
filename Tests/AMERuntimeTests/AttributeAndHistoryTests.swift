import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// Versioned dynamic attributes and the audit trail, through the original API's fields.
@Suite struct AttributeAndHistoryTests {
    static let contactData = "query($k: String!) { contactProfile(contactUuid: $k) { data } }"
    static let versions = """
        query($k: String!, $a: String) { attributeValueList(dataType: "contact", dataIdentity: $k, attributeName: $a) {
          attributeValueList { valueVersionUuid attributeName value status } } }
        """

    @Test func writingDataVersionsChangedAttributesOnlyAndDeletingTheActiveOneReactivatesThePrevious() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        let contact = JSONValue.string(test.keys.contacts[0])
        let update = """
            mutation($k: String!, $d: JSONCamelCase) { insertUpdateContactProfile(contactUuid: $k, data: $d, updatedBy: "t") {
              contactProfile { data } } }
            """
        _ = await test.run(update, variables: ["k": contact, "d": ["tier": "silver", "source": "seed"]])
        _ = await test.run(update, variables: ["k": contact, "d": ["tier": "gold"]])
        let versions = await test.run(Self.versions, variables: ["k": contact, "a": "tier"])
        let tier = versions.data?["attributeValueList"]?["attributeValueList"]?.arrayValue ?? []
        // `source` was unchanged by the first update: no new version of it.
        #expect(tier.count == 2)
        #expect(tier.filter { $0["status"] == "active" }.map { $0["value"] } == ["gold"])
        let source = await test.run(Self.versions, variables: ["k": contact, "a": "source"])
        #expect(source.data?["attributeValueList"]?["attributeValueList"]?.arrayValue.count == 1)

        let active = try #require(tier.first { $0["status"] == "active" }?["valueVersionUuid"])
        let deleted = await test.run(
            "mutation($v: String!) { deleteAttributeValue(valueVersionUuid: $v) { ok } }", variables: ["v": active])
        #expect(deleted.data?["deleteAttributeValue"]?["ok"] == true)
        let data = await test.run(Self.contactData, variables: ["k": contact])
        #expect(data.data?["contactProfile"]?["data"]?["tier"] == "silver")
        let after = await test.run(Self.versions, variables: ["k": contact, "a": "tier"])
        let remaining = after.data?["attributeValueList"]?["attributeValueList"]?.arrayValue ?? []
        #expect(remaining.map { $0["status"] } == ["active"])
        #expect(remaining.first?["value"] == "silver")
    }

    @Test func insertUpdateAttributeValueSetsOneAttributeOfAnExistingEntity() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        let contact = JSONValue.string(test.keys.contacts[0])
        let set = await test.run(
            """
            mutation($k: String!) { insertUpdateAttributeValue(dataType: "contact", dataIdentity: $k, attributeName: "vip",
              jsonValue: true, updatedBy: "t") { attributeValue { dataTypeAttributeName value jsonValue status } } }
            """, variables: ["k": contact])
        #expect(set.errors.isEmpty)
        #expect(
            set.data?["insertUpdateAttributeValue"]?["attributeValue"]
                == ["dataTypeAttributeName": "contact-vip", "value": "true", "jsonValue": "true", "status": "active"])
        // The contact's `data` stores every value as a string (`values: string`), `jsonValue`'s too.
        let data = await test.run(Self.contactData, variables: ["k": contact])
        #expect(data.data?["contactProfile"]?["data"]?["vip"] == "true")
        let missing = await test.run(
            """
            mutation { insertUpdateAttributeValue(dataType: "contact", dataIdentity: "nobody", attributeName: "vip",
              value: "true", updatedBy: "t") { attributeValue { status } } }
            """)
        #expect(missing.errorCodes == ["FOREIGN_KEY_VIOLATION"])
    }

    @Test func everyMutationIsAuditedOnceEvenWithinTheSameMillisecond() async throws {
        // A frozen clock: every event has the same timestamp.
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil),
            clock: { Timestamp(millisecondsSince1970: 1_795_726_160_000) })
        try await engine.createTables()
        let tenant = TestEngine.tenantA
        let keys = try await SampleData(corporations: 1, places: 1, contacts: 0, requests: 0).load(
            into: engine, tenant: tenant)
        let place = JSONValue.string(keys.places[0])
        for name in ["A", "B", "C"] {
            _ = await engine.execute(
                GraphQLRequest(
                    query:
                        "mutation($k: String!, $n: String) { insertUpdatePlace(placeUuid: $k, businessName: $n, updatedBy: \"t\") { place { placeUuid } } }",
                    variables: ["k": place, "n": .string(name)]), tenant: tenant)
        }
        let byID = await engine.execute(
            GraphQLRequest(
                query:
                    "query($k: String!) { activityHistoryList(id: $k) { activityHistoryList { type log dataDiff updatedBy timestamp } } }",
                variables: ["k": place]), tenant: tenant)
        let records = byID.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue ?? []
        #expect(records.count == 4)  // insert + 3 updates, all in the same millisecond
        #expect(records.filter { $0["log"] == "update" }.count == 3)
        #expect(records.allSatisfy { $0["type"] == "Place" && $0["timestamp"] == "1795726160" })
        #expect(records.contains { $0["dataDiff"]?["businessName"]?["new"] == "C" })

        let byType = await engine.execute(
            GraphQLRequest(
                query: "{ activityHistoryList(type: \"CorporationProfile\") { activityHistoryList { id } } }"),
            tenant: tenant)
        #expect(byType.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue.count == 1)
        let outOfRange = await engine.execute(
            GraphQLRequest(
                query: "{ activityHistoryList(type: \"Place\", from: \"2027-01-01\") { activityHistoryList { id } } }"),
            tenant: tenant)
        #expect(outOfRange.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue.isEmpty == true)
        let otherTenant = await engine.execute(
            GraphQLRequest(
                query: "query($k: String!) { activityHistoryList(id: $k) { activityHistoryList { id } } }",
                variables: ["k": place]),
            tenant: TestEngine.tenantB)
        #expect(otherTenant.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue.isEmpty == true)
    }
}
