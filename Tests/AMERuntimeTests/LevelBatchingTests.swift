import AMEGenerated
import AMERuntime
import AMEServer
import Synchronization
import Testing

/// The executor loads each relation level with as few store calls as DynamoDB allows.
@Suite struct LevelBatchingTests {
    static let nestedList = """
        query($limit: Int) { contactProfileList(limit: $limit) { contactProfileList {
          email place { businessName corporationProfile { businessName } } } } }
        """

    @Test(arguments: StoreBackend.allCases, [100, 10])
    func nestedListOfContactsCostsThreeStoreCalls(_ backend: StoreBackend, limit: Int) async throws {
        guard let test = try await TestEngine(backend: backend) else { return }
        let response = await test.run(Self.nestedList, variables: ["limit": .int(limit)])

        #expect(response.errors.isEmpty)
        let contacts = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == limit)
        #expect(contacts.allSatisfy { $0["place"]?["corporationProfile"]?["businessName"]?.stringValue != nil })
        #expect(response.cost.storeCalls == 3)
        #expect(response.storeCounters.callsByOperation == ["Query": 1, "BatchGetItem": 2])
    }

    @Test func everyContactComesBackWithItsPlaceAndCorporation() async throws {
        let test = try await TestEngine()
        let response = await test.run(Self.nestedList, variables: ["limit": 100])
        let contacts = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        let emails = Set(contacts.compactMap { $0["email"]?.stringValue })
        #expect(emails == Set((0..<100).map { "contact\($0)@example.com" }))
        // 100 contacts, their 50 distinct places, those places' 10 distinct corporations.
        #expect(response.cost.itemsRead == 160)
        #expect(response.storeCounters.batchSizes.sorted() == [10, 50])
    }

    @Test func aListWithoutRelationsMakesOneStoreCall() async throws {
        let test = try await TestEngine()
        let response = await test.run("{ contactProfileList(limit: 100) { contactProfileList { email placeUuid } } }")
        #expect(response.errors.isEmpty)
        #expect(response.cost.storeCalls == 1)
    }

    @Test func skippedRelationsAreNotLoaded() async throws {
        let test = try await TestEngine()
        let query = """
            query($withPlace: Boolean!) { contactProfileList(limit: 20) { contactProfileList {
              email place @include(if: $withPlace) { businessName } } } }
            """
        let without = await test.run(query, variables: ["withPlace": false])
        let with = await test.run(query, variables: ["withPlace": true])
        #expect(without.cost.storeCalls == 1)
        #expect(with.cost.storeCalls == 2)
        #expect(without.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.first?["place"] == nil)
    }

    @Test func moreThanOneHundredKeysAreChunkedWithinOneLevel() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 2, places: 5, contacts: 250, requests: 0))
        let response = await test.run("{ contactProfileList(limit: 250) { contactProfileList { email data } } }")
        #expect(response.errors.isEmpty)
        let contacts = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == 250)
        #expect(contacts.allSatisfy { $0["data"]?["source"] == "seed" })
        #expect(response.storeCounters.callsByOperation == ["Query": 1, "BatchGetItem": 3])
        #expect(response.storeCounters.batchSizes.sorted() == [50, 100, 100])
    }

    @Test(arguments: StoreBackend.allCases)
    func theFourLevelQueryReturnsSeededValuesInFourStoreCalls(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend) else { return }
        let request = test.keys.requests[0]
        let response = await test.run(
            """
            query GetRequestFullContext($c: String!, $id: String!) {
              contactRequest(contactUuid: $c, requestUuid: $id) {
                requestTitle requestDetail
                contactProfile {
                  email firstName
                  place { businessName corporationProfile { businessName corporationType categories data } }
                  data
                }
              }
            }
            """, variables: ["c": .string(test.keys.requestContacts[0]), "id": .string(request)])

        #expect(response.errors.isEmpty)
        let result = try #require(response.data?["contactRequest"])
        #expect(result["requestTitle"] == "Request 0")
        let contact = try #require(result["contactProfile"])
        #expect(contact["email"] == "contact0@example.com")
        #expect(contact["data"]?["source"] == "seed")
        #expect(contact["data"]?["score"]?.stringValue.flatMap { Int($0) } != nil)
        let corporation = try #require(contact["place"]?["corporationProfile"])
        #expect(corporation["businessName"] == "Corporation 0")
        #expect(corporation["categories"]?.arrayValue.count == 3)
        #expect(corporation["data"]?["industry"]?.stringValue == corporation["corporationType"]?.stringValue)
        // request; contact + its data; place; corporation + its data. Each `data` key is known as
        // soon as its entity's key is, so it is read in the same batch: one call per level.
        #expect(response.cost.storeCalls == 4)
        #expect(response.storeCounters.callsByOperation == ["BatchGetItem": 4])
        #expect(response.storeCounters.batchSizes == [1, 2, 1, 2])
    }

    @Test(arguments: StoreBackend.allCases)
    func aHundredContactsWithPlacesAndCorporationsAndDataOnBothCostFourStoreCalls(
        _ backend: StoreBackend
    )
        async throws
    {
        guard let test = try await TestEngine(backend: backend) else { return }
        let response = await test.run(
            """
            { contactProfileList(limit: 100) { contactProfileList {
              email data place { businessName corporationProfile { businessName data } } } } }
            """)
        #expect(response.errors.isEmpty)
        let contacts = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == 100)
        #expect(contacts.allSatisfy { $0["data"]?["source"] == "seed" })
        #expect(
            contacts.allSatisfy {
                $0["place"]?["corporationProfile"]?["data"]?["industry"]?.stringValue != nil
            })
        // The list (its keys are known only when it answers); the contacts' data with their places,
        // in chunks of 100 keys sent together; the corporations with their data.
        let places = Set(contacts.compactMap { $0["place"]?["businessName"]?.stringValue }).count
        let corporations = Set(contacts.compactMap { $0["place"]?["corporationProfile"]?["businessName"]?.stringValue })
            .count
        #expect(response.cost.storeCalls == 1 + (100 + places + 99) / 100 + 1)
        #expect(response.cost.storeCalls == 4)
        #expect(response.storeCounters.batchSizes.reduce(0, +) == 100 + places + 2 * corporations)
    }

    @Test func aGetByKeyReadsItsDataInTheSameCallAndAGetByUniqueFieldOneLevelLater() async throws {
        let test = try await BatchingBySizeTests.seeded.value
        let byKey = await test.run(
            "query($k: String) { contactProfile(contactUuid: $k) { email data } }",
            variables: ["k": .string(test.keys.contacts[0])])
        #expect(byKey.data?["contactProfile"]?["data"]?["source"] == "seed")
        #expect(byKey.cost.storeCalls == 1)
        #expect(byKey.storeCounters.batchSizes == [2])
        // By email, the key is known only once the index answers: `data` is the next level.
        let byEmail = await test.run("{ contactProfile(email: \"contact0@example.com\") { contactUuid data } }")
        #expect(byEmail.data?["contactProfile"]?["data"]?["source"] == "seed")
        #expect(byEmail.storeCounters.callsByOperation == ["Query": 1, "BatchGetItem": 1])
        // Without `data` selected, nothing more is read.
        let without = await test.run(
            "query($k: String) { contactProfile(contactUuid: $k) { email } }",
            variables: ["k": .string(test.keys.contacts[0])])
        #expect(without.storeCounters.batchSizes == [1])
    }

    @Test func severalRootGetsShareOneBatch() async throws {
        let test = try await TestEngine()
        let response = await test.run(
            """
            query($a: String!, $b: String!) {
              first: contactProfile(contactUuid: $a) { email }
              second: contactProfile(contactUuid: $b) { email }
            }
            """, variables: ["a": .string(test.keys.contacts[0]), "b": .string(test.keys.contacts[1])])
        #expect(response.data?["first"]?["email"] == "contact0@example.com")
        #expect(response.data?["second"]?["email"] == "contact1@example.com")
        #expect(response.cost.storeCalls == 1)
    }

    @Test func hasManyRelationsOfOneLevelRunTogether() async throws {
        let test = try await TestEngine()
        let response = await test.run(
            "{ placeList(limit: 5) { placeList { businessName contactProfiles(limit: 10) { contactProfileList { email } } } } }"
        )
        #expect(response.errors.isEmpty)
        let places = response.data?["placeList"]?["placeList"]?.arrayValue ?? []
        #expect(places.count == 5)
        // Each seeded place has two contacts (100 contacts over 50 places).
        #expect(places.allSatisfy { $0["contactProfiles"]?["contactProfileList"]?.arrayValue.count == 2 })
        #expect(response.storeCounters.callsByOperation == ["Query": 6])
    }
}

/// A store that measures how many Queries are in flight at once (instrumentation only: it
/// forwards everything to the embedded store).
final class QueryConcurrencyProbe: ForwardingStore {
    let inner: any Store
    private let state = Mutex((current: 0, maximum: 0))

    init(_ inner: any Store) { self.inner = inner }

    var maximum: Int { state.withLock { $0.maximum } }

    func query(_ request: QueryRequest) async throws -> QueryPage {
        state.withLock {
            $0.current += 1
            $0.maximum = max($0.maximum, $0.current)
        }
        defer { state.withLock { $0.current -= 1 } }
        try await Task.sleep(for: .milliseconds(5))
        return try await inner.query(request)
    }
}

@Suite struct LevelConcurrencyTests {
    @Test func theQueriesOfOneLevelRunConcurrentlyWithinTheBound() async throws {
        let probe = QueryConcurrencyProbe(try SQLiteStore(path: nil))
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: probe, limits: QueryLimits(maxConcurrentQueries: 4))
        try await engine.createTables()
        _ = try await SampleData(corporations: 1, places: 20, contacts: 40, requests: 0)
            .load(into: engine, tenant: TestEngine.tenantA)
        let response = await engine.execute(
            GraphQLRequest(
                query:
                    "{ placeList(limit: 20) { placeList { contactProfiles(limit: 5) { contactProfileList { email } } } } }"
            ),
            tenant: TestEngine.tenantA)
        let places = response.data?["placeList"]?["placeList"]?.arrayValue ?? []
        #expect(places.count == 20)
        #expect(places.allSatisfy { $0["contactProfiles"]?["contactProfileList"]?.arrayValue.count == 2 })
        #expect(response.storeCounters.callsByOperation["Query"] == 21)
        #expect(probe.maximum > 1, "the level's queries ran one at a time")
        #expect(probe.maximum <= 4)
    }
}

/// Store calls equal the roots plus one per relation level, whatever the list size.
@Suite struct BatchingBySizeTests {
    /// 250 contacts over 50 places of 10 corporations, seeded once for the suite; a complexity
    /// limit that lets 250 nested items through.
    static let seeded = Task {
        try await TestEngine(
            seed: SampleData(corporations: 10, places: 50, contacts: 250, requests: 0),
            limits: QueryLimits(maxComplexity: 10_000))
    }

    @Test(arguments: [1, 10, 100, 250])
    func theStoreCallsDependOnTheLevelsNotTheListSize(_ size: Int) async throws {
        let test = try await Self.seeded.value
        let response = await test.run(
            """
            query($n: Int) { contactProfileList(limit: $n) { contactProfileList {
              email place { businessName corporationProfile { businessName } } } } }
            """, variables: ["n": .int(size)])
        #expect(response.errors.isEmpty)
        #expect(response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == size)
        // The list; its places (≤ 50 distinct keys); their corporations (≤ 10).
        #expect(response.cost.storeCalls == 3)
        #expect(response.storeCounters.callsByOperation == ["Query": 1, "BatchGetItem": 2])

        let withData = await test.run(
            "query($n: Int) { contactProfileList(limit: $n) { contactProfileList { data } } }",
            variables: ["n": .int(size)])
        // One level of `data` keys, read in chunks of at most 100 sent together.
        let chunks = (size + 99) / 100
        #expect(withData.cost.storeCalls == 1 + chunks)
        #expect(withData.storeCounters.batchSizes.allSatisfy { $0 <= 100 })
        #expect(withData.storeCounters.batchSizes.reduce(0, +) == size)
    }
}
