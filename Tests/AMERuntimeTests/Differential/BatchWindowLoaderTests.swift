import AMEGenerated
import AMEReference
import AMERuntime
import AMEServer
import Synchronization
import Testing

/// The reference executor's DataLoader-style loading (`ReferenceExecutor.Loading.batchWindow`,
/// the benchmarks' executor (b)): the keys requested while a window is open share one
/// BatchGetItem, each key is read at most once per request, and a failed batch fails every field
/// that waited for it. The window is long (200 ms) so that a level's resolvers, which GraphQLSwift
/// starts together, always fall into one window whatever the machine's load.
@Suite struct BatchWindowLoaderTests {
    static let window = ReferenceExecutor.Loading.batchWindow(.milliseconds(200))
    static let tenant = Tenant(endpointId: "batch-window")
    static let nested =
        "{ contactProfileList(limit: 100) { contactProfileList { email placeUuid place { businessName corporationUuid corporationProfile { businessName } } } } }"

    /// An embedded store seeded with 10 corporations, 50 places and 100 contacts.
    static func seeded() async throws -> (any Store, GraphQLEngine) {
        let store = try SQLiteStore(path: nil)
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: store)
        try await engine.createTables()
        _ = try await SampleData(corporations: 10, places: 50, contacts: 100, requests: 0).load(
            into: engine, tenant: tenant)
        return (store, engine)
    }

    @Test func aLevelsKeysShareOneBatchGetAndEachKeyIsReadOnce() async throws {
        let (store, engine) = try await Self.seeded()
        let perField = try ReferenceExecutor(registry: AMESchemaRegistry.registry, store: store)
        let window = try ReferenceExecutor(registry: AMESchemaRegistry.registry, store: store, loading: Self.window)
        let request = GraphQLRequest(query: Self.nested)
        let batched = await window.execute(request, tenant: Self.tenant)
        let unbatched = await perField.execute(request, tenant: Self.tenant)
        let ame = await engine.execute(request, tenant: Self.tenant)

        #expect(batched.json["errors"] == nil, "\(batched.json.jsonText)")
        // The same answer as per-field loading and as AME's executor.
        #expect(batched.json["data"] == unbatched.json["data"])
        #expect(batched.json["data"] == ame.data)
        let contacts = batched.json["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == 100)
        #expect(contacts.allSatisfy { $0["place"]?["corporationProfile"]?["businessName"]?.stringValue != nil })
        let places = Set(contacts.compactMap { $0["placeUuid"]?.stringValue })
        let corporations = Set(contacts.compactMap { $0["place"]?["corporationUuid"]?.stringValue })
        #expect(places.count > 1 && corporations.count > 1)

        // One Query for the list, then one BatchGetItem per level with each distinct key once.
        #expect(batched.counters.callsByOperation == ["Query": 1, "BatchGetItem": 2])
        #expect(batched.counters.batchSizes == [places.count, corporations.count])
        #expect(batched.counters.itemsRead == 100 + places.count + corporations.count)
        // Per-field loading reads the same items one GetItem per object and field.
        #expect(unbatched.counters.callsByOperation == ["Query": 1, "GetItem": 200])
    }

    @Test func aKeyAskedForAfterItsBatchWasReadIsNotReadAgain() async throws {
        let (store, _) = try await Self.seeded()
        let window = try ReferenceExecutor(registry: AMESchemaRegistry.registry, store: store, loading: Self.window)
        // The corporations are read at the second level; the fourth asks for them again (the
        // places' own corporations, through their contacts).
        let query = """
            { placeList(limit: 10) { placeList { placeUuid corporationProfile { corporationUuid businessName }
                contactProfiles(limit: 5) { contactProfileList { place { placeUuid corporationProfile { businessName } } } } } } }
            """
        let response = await window.execute(GraphQLRequest(query: query), tenant: Self.tenant)
        #expect(response.json["errors"] == nil, "\(response.json.jsonText)")
        let places = response.json["data"]?["placeList"]?["placeList"]?.arrayValue ?? []
        #expect(places.count == 10)
        let corporations = Set(places.compactMap { $0["corporationProfile"]?["corporationUuid"]?.stringValue })
        var inner = 0
        for place in places {
            let contacts = place["contactProfiles"]?["contactProfileList"]?.arrayValue ?? []
            #expect(!contacts.isEmpty)
            for contact in contacts {
                inner += 1
                // The contact's place is the place it was listed under, with the same corporation.
                #expect(contact["place"]?["placeUuid"] == place["placeUuid"])
                #expect(
                    contact["place"]?["corporationProfile"]?["businessName"]
                        == place["corporationProfile"]?["businessName"])
            }
        }
        #expect(inner > places.count, "the places' contacts ask for the same place more than once")
        // Every key reached the store once: the corporations (second level) and the places (third);
        // the fourth level's corporations came from what the loader had already read.
        let keysRead = response.counters.batchSizes.reduce(0, +)
        #expect(keysRead == corporations.count + places.count)
        #expect(response.counters.callsByOperation["GetItem"] == nil)
    }

    @Test func aFailedBatchFailsEveryFieldThatWaitedForIt() async throws {
        let store = BatchGetFailure(try await Self.seeded().0)
        let window = try ReferenceExecutor(registry: AMESchemaRegistry.registry, store: store, loading: Self.window)
        let response = await window.execute(GraphQLRequest(query: Self.nested), tenant: Self.tenant)
        let contacts = response.json["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == 100)
        // Each contact's place is null with its own error at its own path; the list itself stands.
        #expect(contacts.allSatisfy { $0["place"] == .null && $0["email"]?.stringValue != nil })
        let errors = response.json["errors"]?.arrayValue ?? []
        #expect(errors.count == 100)
        let paths = Set(errors.compactMap { $0["path"]?.jsonText })
        #expect(paths.count == 100)
        #expect(paths.contains(#"["contactProfileList","contactProfileList",0,"place"]"#))
        #expect(paths.contains(#"["contactProfileList","contactProfileList",99,"place"]"#))
        #expect(errors.allSatisfy { $0["message"]?.stringValue?.contains("injected BatchGetItem failure") == true })
        // The 100 waiting fields were answered by the one failed call, not by retries of their own.
        #expect(store.batchGets == 1)
        #expect(response.counters.callsByOperation == ["Query": 1, "BatchGetItem": 1])
    }
}

/// Fault injection: the embedded store, except that every BatchGetItem fails (and is counted).
final class BatchGetFailure: ForwardingStore {
    let inner: any Store
    private let calls = Mutex(0)

    init(_ inner: any Store) { self.inner = inner }

    var batchGets: Int { calls.withLock { $0 } }

    func batchGetItem(_ keys: [TableKey]) async throws -> [TableKey: Item] {
        calls.withLock { $0 += 1 }
        throw StoreError.unavailable("injected BatchGetItem failure")
    }
}
