import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// The original API's queries, with its clients' variable types (`String` keys, `JSONCamelCase`,
/// `Int` timestamps), answer in its shapes and formats on both stores.
@Suite struct OriginalQueriesTests {
    /// `2026-12-01T08:31:40.817790`: microseconds, no offset.
    static func isOriginalDateTime(_ value: JSONValue?) -> Bool {
        guard let text = value?.stringValue else { return false }
        return text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}/) != nil
    }

    static func data(_ test: TestEngine, _ query: String, _ variables: JSONObject = [:]) async -> JSONValue {
        let response = await test.run(query, variables: variables)
        #expect(response.errors.isEmpty, "\(response.errors.map(\.error.message))")
        return response.data ?? .null
    }

    @Test(arguments: StoreBackend.allCases)
    func entityQueriesAnswerAsTheOriginal(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend) else { return }
        let contact = test.keys.contacts[3]
        // A get by a unique field, with the original's variable type.
        let byEmail = await Self.data(
            test, "query($e: String) { contactProfile(email: $e) { contactUuid partitionKey createdAt updatedAt } }",
            ["e": "contact3@example.com"])
        #expect(byEmail["contactProfile"]?["contactUuid"]?.stringValue == contact)
        #expect(byEmail["contactProfile"]?["partitionKey"] == "tenant-a#default")
        #expect(Self.isOriginalDateTime(byEmail["contactProfile"]?["createdAt"]))
        #expect(Self.isOriginalDateTime(byEmail["contactProfile"]?["updatedAt"]))
        let both = await test.run(
            "query($e: String, $c: String) { contactProfile(email: $e, contactUuid: $c) { email } }",
            variables: ["e": "contact3@example.com", "c": .string(contact)])
        #expect(both.errorCodes == ["BAD_USER_INPUT"])

        // A get by the composite key: the request must belong to the contact.
        let request = test.keys.requests[2]
        let owner = test.keys.requestContacts[2]
        let get = "query($c: String!, $r: String!) { contactRequest(contactUuid: $c, requestUuid: $r) { requestUuid } }"
        let found = await Self.data(test, get, ["c": .string(owner), "r": .string(request)])
        #expect(found["contactRequest"]?["requestUuid"]?.stringValue == request)
        let stranger = test.keys.contacts.first { $0 != owner }!
        let notTheirs = await test.run(get, variables: ["c": .string(stranger), "r": .string(request)])
        #expect(notTheirs.errorCodes == ["ENTITY_NOT_FOUND"])
        #expect(notTheirs.json["data"] == .null)

        // `address` is a JSONCamelCase scalar, selected without subfields; `category` filters the list.
        let corporations = await Self.data(
            test,
            """
            query($p: Int, $l: Int, $c: String) { corporationProfileList(pageNumber: $p, limit: $l, category: $c) {
              pageSize pageNumber total corporationProfileList { categories address } } }
            """, ["p": 1, "l": 2, "c": "sample"])
        let page = corporations["corporationProfileList"]
        #expect(page?["total"] == 10)
        #expect(page?["pageSize"] == 2)
        #expect(page?["pageNumber"] == 1)
        let first = page?["corporationProfileList"]?.arrayValue.first
        #expect(first?["categories"]?.arrayValue.contains("sample") == true)
        #expect(first?["address"]?["city"] == "Springfield")
        let byAddress = await Self.data(
            test, "{ corporationProfileList(address: \"1 Main St\") { total } }")
        #expect(byAddress["corporationProfileList"]?["total"] == 1)

        // pageNumber paging with total: items (pageNumber − 1) × limit + 1 … pageNumber × limit.
        let all = await Self.data(test, "{ contactProfileList(limit: 100) { contactProfileList { contactUuid } } }")
        let ids = all["contactProfileList"]?["contactProfileList"]?.arrayValue.map { $0["contactUuid"] } ?? []
        let third = await Self.data(
            test,
            "{ contactProfileList(pageNumber: 3, limit: 7) { total pageSize pageNumber contactProfileList { contactUuid } } }"
        )
        #expect(third["contactProfileList"]?["total"] == 100)
        #expect(
            third["contactProfileList"]?["contactProfileList"]?.arrayValue.map { $0["contactUuid"] }
                == Array(ids[14..<21]))
    }

    @Test(arguments: StoreBackend.allCases)
    func jsonCamelCaseIsSnakeCasedFromVariablesAndCamelCasedInAnswers(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 1, places: 0, contacts: 0, requests: 0))
        else { return }
        let corporation = JSONValue.string(test.keys.corporations[0])
        let fromVariable = await Self.data(
            test,
            """
            mutation($k: String, $d: JSONCamelCase) { insertUpdateCorporationProfile(corporationUuid: $k, data: $d, updatedBy: "t") {
              corporationProfile { data } } }
            """,
            [
                "k": corporation,
                "d": ["employeeCount": 383, "listed": true, "ceo": "Ann", "headOffice": ["postalCode": "62701"]],
            ])
        let data = fromVariable["insertUpdateCorporationProfile"]?["corporationProfile"]?["data"]
        // Every value is stored and answered as a string, as the original stores them; an object's
        // keys are snake_cased before it becomes text.
        #expect(data?["employeeCount"] == "383")
        #expect(data?["listed"] == "true")
        #expect(data?["ceo"] == "Ann")
        #expect(data?["headOffice"] == "{\"postal_code\":\"62701\"}")
        // Stored in snake_case: the attribute is `corporation-employee_count`.
        let stored = await Self.data(
            test,
            """
            query($k: String) { attributeValueList(dataTypeAttributeName: "corporation-employee_count", dataIdentity: $k,
              statuses: ["active"]) { total attributeValueList { value status dataTypeAttributeName } } }
            """, ["k": corporation])
        #expect(stored["attributeValueList"]?["total"] == 1)
        #expect(stored["attributeValueList"]?["attributeValueList"]?.arrayValue.first?["value"] == "383")
        // A literal is taken as written.
        _ = await Self.data(
            test,
            """
            mutation($k: String) { insertUpdateCorporationProfile(corporationUuid: $k, data: {rawKey_x: 1}, updatedBy: "t") {
              corporationProfile { corporationUuid } } }
            """, ["k": corporation])
        let literal = await Self.data(
            test,
            "query($k: String) { attributeValueList(dataTypeAttributeName: \"corporation-rawKey_x\", dataIdentity: $k) { total } }",
            ["k": corporation])
        #expect(literal["attributeValueList"]?["total"] == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func attributeValuesAndTheAuditTrailTakeTheOriginalsArguments(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        else { return }
        let contact = JSONValue.string(test.keys.contacts[0])
        let upsert = """
            mutation($i: String!, $n: String!, $v: String) { insertUpdateAttributeValue(dataIdentity: $i,
              dataTypeAttributeName: $n, value: $v, updatedBy: "t") { attributeValue { valueVersionUuid value status partitionKey createdAt } } }
            """
        let first = await Self.data(test, upsert, ["i": contact, "n": "contact-department", "v": "sales"])
        let version = try #require(
            first["insertUpdateAttributeValue"]?["attributeValue"]?["valueVersionUuid"]?.stringValue)
        #expect(first["insertUpdateAttributeValue"]?["attributeValue"]?["partitionKey"] == "tenant-a#default")
        #expect(Self.isOriginalDateTime(first["insertUpdateAttributeValue"]?["attributeValue"]?["createdAt"]))
        _ = await Self.data(test, upsert, ["i": contact, "n": "contact-department", "v": "support"])
        let get = await Self.data(
            test,
            "query($n: String!, $v: String!) { attributeValue(dataTypeAttributeName: $n, valueVersionUuid: $v) { value status } }",
            ["n": "contact-department", "v": .string(version)])
        #expect(get["attributeValue"] == ["value": "sales", "status": "inactive"])
        let wrongName = await test.run(
            "query($v: String!) { attributeValue(dataTypeAttributeName: \"contact-other\", valueVersionUuid: $v) { value } }",
            variables: ["v": .string(version)])
        #expect(wrongName.errorCodes == ["ENTITY_NOT_FOUND"])
        let inactive = await Self.data(
            test,
            """
            query($i: String) { attributeValueList(pageNumber: 1, limit: 10, dataIdentity: $i, statuses: ["inactive"]) {
              total pageNumber attributeValueList { value } } }
            """, ["i": contact])
        #expect(inactive["attributeValueList"]?["total"] == 1)
        #expect(inactive["attributeValueList"]?["attributeValueList"]?.arrayValue.first?["value"] == "sales")

        // The audit trail: a Decimal timestamp of seconds, `log` contains, `activityType(s)`.
        let history = await Self.data(
            test,
            """
            query($i: String) { activityHistoryList(pageNumber: 1, limit: 10, id: $i, activityTypes: ["ContactProfile"], log: "data") {
              total activityHistoryList { id timestamp log type updatedAt dataDiff } } }
            """, ["i": contact])
        let records = history["activityHistoryList"]?["activityHistoryList"]?.arrayValue ?? []
        #expect(history["activityHistoryList"]?["total"] == 2)
        #expect(records.allSatisfy { $0["timestamp"]?.stringValue?.wholeMatch(of: /\d{10}/) != nil })
        #expect(records.allSatisfy { Self.isOriginalDateTime($0["updatedAt"]) })
        let timestamp = try #require(records.first?["timestamp"]?.stringValue.flatMap { Int($0) })
        let record = await Self.data(
            test, "query($i: String!, $t: Int!) { activityHistory(id: $i, timestamp: $t) { id log } }",
            ["i": contact, "t": .int(timestamp)])
        #expect(record["activityHistory"]?["id"] == contact)
        let deleted = await Self.data(
            test, "mutation($i: String!, $t: Int!) { deleteActivityHistory(id: $i, timestamp: $t) { ok } }",
            ["i": contact, "t": .int(timestamp)])
        #expect(deleted["deleteActivityHistory"]?["ok"] == true)
        let gone = await test.run(
            "query($i: String!, $t: Int!) { activityHistory(id: $i, timestamp: $t) { id } }",
            variables: ["i": contact, "t": .int(timestamp)])
        #expect(gone.errorCodes == ["ENTITY_NOT_FOUND"])
    }

    @Test func aTenantArgumentMustBeTheCredentialsOwn() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 0, requests: 0))
        let insert = """
            mutation($p: String!, $e: String) { insertUpdateContactProfile(email: "a@example.com", placeUuid: $p, endpointId: $e,
              updatedBy: "t") { contactProfile { endpointId } } }
            """
        let other = await test.run(insert, variables: ["p": .string(test.keys.places[0]), "e": "tenant-b"])
        #expect(other.errorCodes == ["FORBIDDEN"])
        let count = await test.run("{ contactProfileList { total } }")
        #expect(count.data?["contactProfileList"]?["total"] == 0)
        let own = await test.run(insert, variables: ["p": .string(test.keys.places[0]), "e": "tenant-a"])
        #expect(own.data?["insertUpdateContactProfile"]?["contactProfile"]?["endpointId"] == "tenant-a")
    }

    @Test func presignedUploadUrlSaysWhenUploadsAreNotConfigured() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run("{ presignedUploadUrl(objectKey: \"a/b.png\") { url objectKey expiration } }")
        #expect(response.errorCodes == ["NOT_CONFIGURED"])
        #expect(response.errors.first?.error.message.contains("not configured") == true)
        #expect(response.json["data"] == .null)
        let tooLong = await test.run(
            "query($k: String!) { presignedUploadUrl(objectKey: $k) { url } }",
            variables: ["k": .string(String(repeating: "k", count: 1025))])
        #expect(tooLong.errorCodes == ["BAD_USER_INPUT"])
    }

    @Test func dateTimesAreAnsweredWithMicrosecondsAndNoOffset() {
        #expect(DateTimeText.answer("2026-12-01T08:31:40.817790+0000") == "2026-12-01T08:31:40.817790")
        #expect(DateTimeText.answer("2026-12-01T08:31:40.817Z") == "2026-12-01T08:31:40.817000")
        #expect(DateTimeText.answer("2026-12-01T08:31:40Z") == "2026-12-01T08:31:40.000000")
        #expect(DateTimeText.answer("2026-12-01T08:31:40.8177901+00:00") == "2026-12-01T08:31:40.817790")
        #expect(DateTimeText.answer("2026-12-01T08:31:40.817+0200") == "2026-12-01T08:31:40.817+0200")
        #expect(DateTimeText.answer("yesterday") == "yesterday")
        #expect(DateTimeText.secondsSince1970("2026-12-01T09:09:14.5Z") == 1_796_116_154)
        #expect(DateTimeText.secondsSince1970("2000-02-29T00:00:00+0000") == 951_782_400)
        #expect(DateTimeText.secondPrefix(secondsSince1970: 1_796_116_154) == "2026-12-01T09:09:14")
        #expect(DateTimeText.secondPrefix(secondsSince1970: -1) == "1969-12-31T23:59:59")
    }

    @Test func jsonCamelCaseKeysConvertBothWays() {
        #expect(JSONKeyCase.camelCase("employee_count") == "employeeCount")
        #expect(JSONKeyCase.camelCase("_private") == "_private")
        #expect(JSONKeyCase.camelCase("plain") == "plain")
        #expect(JSONKeyCase.snakeCase("employeeCount") == "employee_count")
        #expect(JSONKeyCase.snakeCase("pageURL") == "page_url")
        #expect(JSONKeyCase.snakeCase("URLPath") == "url_path")
        #expect(JSONKeyCase.snakeCased(["a": [["fooBar": 1]]]) == ["a": [["foo_bar": 1]]])
        #expect(JSONKeyCase.camelCased(["a_b": ["c_d": 1]]) == ["aB": ["cD": 1]])
    }
}
