import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// The runtime's own roots (`attributeValue…`, `activityHistory…`): each wrong argument is an
/// error with its code, its message and the argument it names, and writes nothing; the audit
/// trail's records can be written, read, listed and deleted by hand, as the original API allows.
@Suite struct SystemAPIErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let query: String
        let code: String
        let message: String
        let field: String?
        var testDescription: String { message }
    }

    static let badInput = "BAD_USER_INPUT"
    static let dashForm = "`dataTypeAttributeName` must be `<dataType>-<attributeName>`, e.g. `contact-department`"

    static let cases: [Case] = [
        Case(
            query: #"{ attributeValueList(dataTypeAttributeName: "contact") { total } }"#, code: badInput,
            message: dashForm, field: "dataTypeAttributeName"),
        Case(
            query: #"{ attributeValueList(dataTypeAttributeName: "-tier") { total } }"#, code: badInput,
            message: dashForm, field: "dataTypeAttributeName"),
        Case(
            query: #"{ attributeValueList(dataTypeAttributeName: "contact-") { total } }"#, code: badInput,
            message: dashForm, field: "dataTypeAttributeName"),
        Case(
            query: #"{ attributeValueList(dataTypeAttributeName: "contact-tier", dataType: "place") { total } }"#,
            code: badInput, message: "`dataTypeAttributeName` disagrees with `dataType`/`attributeName`; give one form",
            field: "dataTypeAttributeName"),
        Case(
            query: #"{ attributeValueList(dataTypeAttributeName: "contact-tier", attributeName: "rank") { total } }"#,
            code: badInput, message: "`dataTypeAttributeName` disagrees with `dataType`/`attributeName`; give one form",
            field: "dataTypeAttributeName"),
        Case(
            query: "{ attributeValueList(pageNumber: 0) { total } }", code: badInput,
            message: "`pageNumber` must be 1 or more", field: "pageNumber"),
        Case(
            query: "{ activityHistoryList(pageNumber: -3) { total } }", code: badInput,
            message: "`pageNumber` must be 1 or more", field: "pageNumber"),
        Case(
            query: #"{ activityHistory(id: "", timestamp: 1) { id } }"#, code: badInput, message: "`id` is required",
            field: "id"),
        Case(
            query: #"{ activityHistory(id: "lead-1", timestamp: 1) { id } }"#, code: "ENTITY_NOT_FOUND",
            message: "ActivityHistory `lead-1 at 1` does not exist", field: nil),
        Case(
            query:
                #"mutation { insertUpdateAttributeValue(dataIdentity: "k", value: "v", updatedBy: "t") { attributeValue { status } } }"#,
            code: badInput, message: "`dataTypeAttributeName` (or `dataType` and `attributeName`) is required",
            field: "dataTypeAttributeName"),
        Case(
            query: """
                mutation { insertUpdateAttributeValue(dataTypeAttributeName: "contact-tier", dataIdentity: "k",
                  value: "v", status: "inactive", updatedBy: "t") { attributeValue { status } } }
                """, code: badInput,
            message:
                "a written value becomes the active version; to retire a version, delete it with `deleteAttributeValue`",
            field: "status"),
        Case(
            query: """
                mutation { insertUpdateAttributeValue(dataTypeAttributeName: "contact-tier", dataIdentity: "k",
                  updatedBy: "t") { attributeValue { status } } }
                """, code: badInput, message: "`value` is required", field: "value"),
        Case(
            query: """
                mutation { insertUpdateAttributeValue(dataTypeAttributeName: "contact-tier", dataIdentity: "k",
                  valueVersionUuid: "no-such-version", updatedBy: "t") { attributeValue { status } } }
                """, code: "ENTITY_NOT_FOUND", message: "AttributeValue `no-such-version` does not exist", field: nil),
        Case(
            query:
                #"mutation { insertUpdateAttributeValue(dataIdentity: "", dataType: "contact", attributeName: "tier", value: "v", updatedBy: "t") { attributeValue { status } } }"#,
            code: badInput, message: "`dataIdentity` is required", field: "dataIdentity"),
        Case(
            query:
                #"mutation { deleteAttributeValue(valueVersionUuid: "no-such-version", dataTypeAttributeName: "contact-tier") { ok } }"#,
            code: "ENTITY_NOT_FOUND", message: "AttributeValue `no-such-version` does not exist", field: nil),
        Case(
            query: #"mutation { deleteActivityHistory(id: "lead-1", timestamp: 5) { ok } }"#, code: "ENTITY_NOT_FOUND",
            message: "ActivityHistory `lead-1 at 5` does not exist", field: nil),
        Case(
            query: #"mutation { insertActivityHistory(id: "", log: "x", updatedBy: "t") { activityHistory { id } } }"#,
            code: badInput, message: "`id` is required", field: "id"),
    ]

    @Test(arguments: cases)
    func aWrongArgumentIsAnErrorNamingItAndWritesNothing(_ test: Case) async throws {
        let engine = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        let before = await engine.run("{ attributeValueList { total } activityHistoryList { total } }")
        let response = await engine.run(test.query)
        #expect(response.errors.count == 1, "\(response.json.jsonText)")
        let error = try #require(response.errors.first?.error)
        #expect(error.code == test.code)
        #expect(error.message == test.message)
        #expect(error.extensions["field"] == test.field.map(JSONValue.string))
        let after = await engine.run("{ attributeValueList { total } activityHistoryList { total } }")
        #expect(after.data == before.data)
    }

    @Test func aLimitOutsideTheBoundsIsRefusedForEachList() async throws {
        let engine = try await TestEngine(seed: nil)
        for list in ["attributeValueList", "activityHistoryList"] {
            for limit in [0, -1] {
                let response = await engine.run("{ \(list)(limit: \(limit)) { total } }")
                #expect(response.errorCodes == ["BAD_USER_INPUT"], "\(list) \(limit)")
                #expect(response.errors.first?.error.message.hasPrefix("`limit` must be between 1 and ") == true)
                #expect(response.errors.first?.error.extensions["field"] == "limit")
            }
        }
    }

    @Test func aRecordWrittenByHandIsReadListedAndDeleted() async throws {
        let engine = try await TestEngine(seed: nil)
        let inserted = await engine.run(
            """
            mutation { insertActivityHistory(id: "lead-1", type: "Note", log: "called back", dataDiff: {stage: "warm"},
              updatedBy: "ops") { activityHistory { id timestamp log type dataDiff updatedBy } } }
            """)
        #expect(inserted.errors.isEmpty, "\(inserted.json.jsonText)")
        let record = try #require(inserted.data?["insertActivityHistory"]?["activityHistory"])
        #expect(record["id"] == "lead-1")
        #expect(record["log"] == "called back")
        #expect(record["type"] == "Note")
        #expect(record["updatedBy"] == "ops")
        #expect(record["dataDiff"] == ["stage": "warm"])
        let timestamp = try #require(record["timestamp"]?.stringValue.flatMap { Int($0) })

        // One without a type is kept out of the type's list.
        let untyped = await engine.run(
            #"mutation { insertActivityHistory(id: "lead-1", log: "no type", updatedBy: "ops") { activityHistory { type log } } }"#
        )
        #expect(untyped.errors.isEmpty, "\(untyped.json.jsonText)")
        #expect(untyped.data?["insertActivityHistory"]?["activityHistory"]?["type"] == .null)
        let byType = await engine.run(
            #"{ activityHistoryList(type: "Note") { total activityHistoryList { log } } }"#)
        #expect(byType.data?["activityHistoryList"]?["total"] == 1)
        #expect(byType.data?["activityHistoryList"]?["activityHistoryList"] == [["log": "called back"]])
        let byId = await engine.run(#"{ activityHistoryList(id: "lead-1") { total } }"#)
        #expect(byId.data?["activityHistoryList"]?["total"] == 2)

        let get = await engine.run(#"{ activityHistory(id: "lead-1", timestamp: \#(timestamp)) { log } }"#)
        #expect(get.errors.isEmpty)
        #expect(get.data?["activityHistory"]?["log"] != nil)

        let deleted = await engine.run(
            #"mutation { deleteActivityHistory(id: "lead-1", timestamp: \#(timestamp)) { ok } }"#)
        #expect(deleted.data?["deleteActivityHistory"]?["ok"] == true)
        // Both records of that second are the key the original gives a record: both are gone.
        let gone = await engine.run(#"{ activityHistory(id: "lead-1", timestamp: \#(timestamp)) { log } }"#)
        #expect(gone.errorCodes == ["ENTITY_NOT_FOUND"])
    }

    @Test func namingAnExistingVersionReactivatesItWithItsValue() async throws {
        let engine = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        let contact = JSONValue.string(engine.keys.contacts[0])
        let write = """
            mutation($k: String!, $v: String, $version: String) { insertUpdateAttributeValue(dataTypeAttributeName: "contact-tier",
              dataIdentity: $k, value: $v, valueVersionUuid: $version, updatedBy: "t") { attributeValue { valueVersionUuid value status } } }
            """
        let silver = await engine.run(write, variables: ["k": contact, "v": "silver"])
        let first = try #require(silver.data?["insertUpdateAttributeValue"]?["attributeValue"]?["valueVersionUuid"])
        let gold = await engine.run(write, variables: ["k": contact, "v": "gold"])
        #expect(gold.errors.isEmpty)
        let again = await engine.run(write, variables: ["k": contact, "version": first])
        #expect(again.errors.isEmpty, "\(again.json.jsonText)")
        #expect(again.data?["insertUpdateAttributeValue"]?["attributeValue"]?["value"] == "silver")
        let data = await engine.run(
            "query($k: String!) { contactProfile(contactUuid: $k) { data } }", variables: ["k": contact])
        #expect(data.data?["contactProfile"]?["data"]?["tier"] == "silver")
        // A version of another attribute is not found under this one.
        let other = await engine.run(
            """
            mutation($k: String!, $version: String) { insertUpdateAttributeValue(dataTypeAttributeName: "contact-rank",
              dataIdentity: $k, valueVersionUuid: $version, updatedBy: "t") { attributeValue { status } } }
            """, variables: ["k": contact, "version": first])
        #expect(other.errorCodes == ["ENTITY_NOT_FOUND"])
    }
}
