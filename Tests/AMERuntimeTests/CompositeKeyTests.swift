import AMERuntime
import AMEServer
import Testing

/// Composite keys escape their separator, and what a write stores can always be read back.
@Suite struct CompositeKeyTests {
    @Test func partsWithTheSeparatorRoundTripAndNeverPrefixAnother() {
        for parts in [["V", "t", "id", "a#b", "1"], ["x%23", "#", ""], ["plain", "parts"]] {
            #expect(CompositeKey.decode(CompositeKey.encode(parts)) == parts)
        }
        #expect(CompositeKey.encode(["A", "contact", "k1"]) == "A#contact#k1")
        let versionsOfA = RuntimeTables.versionKeyPrefix(dataType: "t", id: "id", attribute: "a")
        let versionOfAB = RuntimeTables.versionKey(dataType: "t", id: "id", attribute: "a#b", version: "v1")
        #expect(!versionOfAB.hasPrefix(versionsOfA))
    }

    static let upsert =
        "mutation($d: JSONCamelCase, $k: String, $p: String!) { insertUpdateContactProfile(contactUuid: $k, placeUuid: $p, email: \"hash@example.com\", updatedBy: \"t\", data: $d) { contactProfile { contactUuid data } } }"

    @Test func anAttributeNamedWithTheSeparatorKeepsItsOwnVersions() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        let key = test.keys.contacts[0]
        for data: JSONValue in [["a": 1], ["a": 2], ["a#b": 98], ["a#b": 99]] {
            let response = await test.run(
                Self.upsert, variables: ["d": data, "k": .string(key), "p": .string(test.keys.places[0])])
            #expect(response.errorCodes == [], "\(response.errors)")
        }
        let versions = await test.run(
            "{ attributeValueList(dataType: \"contact\", dataIdentity: \"\(key)\", attributeName: \"a\") { attributeValueList { attributeName value status } } }"
        )
        let listed = versions.data?["attributeValueList"]?["attributeValueList"]?.arrayValue ?? []
        #expect(versions.errorCodes == [])
        #expect(listed.count == 2, "\(listed)")
        #expect(listed.allSatisfy { $0["attributeName"] == "a" })
    }

    @Test func dataTooDeepOrWithAControlCharacterInANameIsRefusedAndWritesNothing() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        let key = JSONValue.string(test.keys.contacts[0])
        let versionsQuery =
            "{ attributeValueList(dataType: \"contact\", dataIdentity: \"\(test.keys.contacts[0])\") { attributeValueList { status } } }"
        let before = await test.run(versionsQuery).data?["attributeValueList"]?["attributeValueList"]?.arrayValue.count
        var deep: JSONValue = 1
        for _ in 0..<64 { deep = ["a": deep] }
        let tooMany = JSONValue.object(JSONObject((0..<1001).map { ("k\($0)", JSONValue.int(1)) }))
        for data: JSONValue in [["x": deep], ["k\u{0}x": 1], ["cafe\u{301}": 1], tooMany] {
            let response = await test.run(
                Self.upsert, variables: ["d": data, "k": key, "p": .string(test.keys.places[0])])
            #expect(response.errorCodes == ["BAD_USER_INPUT"], "\(response.errors)")
        }
        let versions = await test.run(versionsQuery)
        #expect(versions.errorCodes == [])
        #expect(versions.data?["attributeValueList"]?["attributeValueList"]?.arrayValue.count == before)
    }

    @Test func keysAndUniqueValuesWithControlCharactersAreRefused() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        let response = await test.run(
            "mutation($e: String, $p: String!) { insertUpdateContactProfile(email: $e, placeUuid: $p, updatedBy: \"t\") { contactProfile { contactUuid } } }",
            variables: ["e": "a\u{0}x", "p": .string(test.keys.places[0])])
        #expect(response.errorCodes == ["BAD_USER_INPUT"], "\(response.errors)")
    }

    @Test func anAuditTypeWithTheSeparatorIsNotReadAsAnotherTypesRecords() async throws {
        let test = try await TestEngine(seed: nil)
        for type in ["Note", "Note#2026", "Note"] {
            let response = await test.run(
                "mutation($t: String) { insertActivityHistory(id: \"lead-1\", type: $t, log: \"x\", updatedBy: \"t\") { activityHistory { type } } }",
                variables: ["t": .string(type)])
            #expect(response.errorCodes == [], "\(response.errors)")
        }
        let listed = await test.run(
            "{ activityHistoryList(activityType: \"Note\") { activityHistoryList { type } } }")
        #expect(listed.errorCodes == [])
        #expect(listed.data?["activityHistoryList"]?["activityHistoryList"] == [["type": "Note"], ["type": "Note"]])
        // The type index reads exactly the type's records: the one named with `#` is not in its range.
        #expect(listed.cost.itemsRead == 2)
    }
}
