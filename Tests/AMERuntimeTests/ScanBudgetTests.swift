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
}
