import AMERuntime
import AMEServer
import Testing

/// A list filtered on a field no index serves reads the tenant's items to test them. Those items
/// are counted (`extensions.cost.itemsScanned`) and bounded per request (`AME_MAX_SCAN_ITEMS`):
/// past the budget the list is `QUERY_TOO_EXPENSIVE`, naming the index that would serve it, never
/// a silent long scan. The same on both stores.
@Suite struct ScanBudgetTests {
    static let seed = SampleData(corporations: 0, places: 1, contacts: 30, requests: 0)

    @Test(arguments: StoreBackend.allCases)
    func anUnindexedFilterPastTheBudgetIsRefusedNamingTheIndexThatWouldServeIt(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(backend: backend, seed: Self.seed, limits: QueryLimits(maxScanItems: 10))
        else { return }
        let response = await test.run(
            #"{ contactProfileList(firstName: "Nobody") { contactProfileList { contactUuid } } }"#)
        #expect(response.errorCodes == ["QUERY_TOO_EXPENSIVE"], "\(response.json.jsonText)")
        let error = try #require(response.errors.first)
        #expect(error.path == ["contactProfileList"])
        #expect(error.error.extensions["maxScanItems"] == 10)
        #expect((error.error.extensions["itemsScanned"]?.intValue ?? 0) > 10)
        #expect(error.error.extensions["index"] == "first_name-index: { sort: first_name }")
        #expect(error.error.message.contains("`firstName`"))
        #expect(response.data?["contactProfileList"] == .null)
    }

    @Test(arguments: StoreBackend.allCases)
    func itemsScannedCountsWhatAFilterTestedAndAnIndexedFilterScansNothing(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend, seed: Self.seed) else { return }
        let scanned = await test.run(
            #"{ contactProfileList(lastNameContains: "no such text") { contactProfileList { contactUuid } total } }"#)
        #expect(scanned.errorCodes == [], "\(scanned.json.jsonText)")
        #expect(scanned.data?["contactProfileList"]?["contactProfileList"] == [])
        #expect(scanned.data?["contactProfileList"]?["total"] == 0)
        // The page read every contact once, and `total` read them again to count.
        #expect(scanned.cost.itemsScanned == 60)
        #expect(scanned.cost.itemsRead == 60)
        #expect(scanned.json["extensions"]?["cost"]?["itemsScanned"] == 60)

        let email = try #require(
            await test.run("{ contactProfileList(limit: 1) { contactProfileList { email } } }")
                .data?["contactProfileList"]?["contactProfileList"]?.arrayValue.first?["email"]?.stringValue)
        let indexed = await test.run(
            "query($e: String) { contactProfileList(email: $e) { contactProfileList { email } } }",
            variables: ["e": .string(email)])
        let found = indexed.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(found.map { $0["email"]?.stringValue } == [email])
        #expect(indexed.cost.itemsScanned == 0)
        #expect(indexed.cost.itemsRead == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func systemListsCountWhatTheirFiltersTestAndRefusePastTheBudget(_ backend: StoreBackend) async throws {
        // 12 corporations: 12 audit records and 24 `data` versions (two attributes each).
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 12, places: 0, contacts: 0, requests: 0),
                limits: QueryLimits(maxScanItems: 10))
        else { return }
        for query in [
            #"{ activityHistoryList(log: "no such text") { activityHistoryList { id } } }"#,
            #"{ activityHistoryList(activityTypes: ["a", "b"]) { activityHistoryList { id } } }"#,
            #"{ attributeValueList(value: "no such value") { attributeValueList { valueVersionUuid } } }"#,
        ] {
            let refused = await test.run(query)
            #expect(refused.errorCodes == ["QUERY_TOO_EXPENSIVE"], "\(query): \(refused.json.jsonText)")
            #expect(refused.errors.first?.error.extensions["maxScanItems"] == 10)
        }
        let log = await test.run(#"{ activityHistoryList(log: "no such text") { activityHistoryList { id } } }"#)
        #expect(log.errors.first?.error.message.contains("`log`") == true, "\(log.json.jsonText)")

        // What the key serves scans nothing.
        let corporation = try #require(test.keys.corporations.first)
        let history = await test.run(
            "query($id: String) { activityHistoryList(id: $id) { activityHistoryList { id } } }",
            variables: ["id": .string(corporation)])
        #expect(history.errorCodes == [], "\(history.json.jsonText)")
        #expect((history.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue.count ?? 0) >= 1)
        #expect(history.cost.itemsScanned == 0)
        let versions = await test.run(
            """
            query($id: String) { attributeValueList(dataType: "corporation", dataIdentity: $id) {
              attributeValueList { valueVersionUuid } } }
            """, variables: ["id": .string(corporation)])
        #expect(versions.errorCodes == [], "\(versions.json.jsonText)")
        #expect(versions.data?["attributeValueList"]?["attributeValueList"]?.arrayValue.count == 2)
        #expect(versions.cost.itemsScanned == 0)
    }
}
