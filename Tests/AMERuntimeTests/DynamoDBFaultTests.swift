import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// The DynamoDB backend under faults injected between it and a real `moto_server`: reads come
/// back complete, and writes are neither lost nor applied twice.
@Suite(.serialized) struct DynamoDBFaultTests {
    /// An engine whose DynamoDB traffic goes through the fault proxy; `nil` when DynamoDB tests
    /// are skipped.
    static func engine(deadline: Duration = .seconds(5)) async throws -> (GraphQLEngine, URL)? {
        guard let proxy = try await FaultProxy.shared.start() else { return nil }
        let registry = AMESchemaRegistry.registry.withTablePrefix("fault-\(UUID().uuidString.prefix(6).lowercased())-")
        let store = DynamoDBStore(
            configuration: DynamoDBConfiguration(
                endpoint: proxy, region: "us-east-1",
                credentials: AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing"),
                retry: RetryPolicy(baseDelay: .milliseconds(5), maxDelay: .milliseconds(50), deadline: deadline)),
            tables: registry.tableDefinitions)
        let engine = try GraphQLEngine(registry: registry, store: store)
        try await engine.createTables()
        return (engine, proxy)
    }

    static let tenant = Tenant(endpointId: "faults")

    @Test func readsComeBackCompleteThroughThrottlingErrorsAndDroppedConnections() async throws {
        guard let (engine, proxy) = try await Self.engine() else { return }
        _ = try await SampleData(corporations: 3, places: 10, contacts: 40, requests: 0).load(
            into: engine, tenant: Self.tenant)
        try await FaultProxy.queue(
            proxy,
            [
                ("throttle", "Query"), ("error500", "Query"), ("drop", "Query"),
                ("throttle", "BatchGetItem"), ("drop", "BatchGetItem"), ("error500", "BatchGetItem"),
                ("unprocessed", "BatchGetItem"), ("unprocessed", "BatchGetItem"), ("unprocessed", "BatchGetItem"),
            ])
        let response = await engine.execute(
            GraphQLRequest(
                query:
                    "{ contactProfileList(limit: 40) { contactProfileList { email data place { businessName corporationProfile { businessName } } } } }"
            ), tenant: Self.tenant)
        #expect(response.errors.isEmpty)
        let contacts = response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []
        #expect(contacts.count == 40)
        #expect(contacts.allSatisfy { $0["data"]?["source"] == "seed" })
        #expect(contacts.allSatisfy { $0["place"]?["corporationProfile"]?["businessName"]?.stringValue != nil })
        // Retries stay inside their store call: list; places + contact data; corporations.
        #expect(response.cost.storeCalls == 3)
        #expect(try await FaultProxy.stats(proxy)["faults_left"] == 0)
    }

    @Test func keysLeftUnprocessedUntilTheDeadlineAreAnErrorNotNulls() async throws {
        guard let (engine, proxy) = try await Self.engine(deadline: .milliseconds(300)) else { return }
        let keys = try await SampleData(corporations: 1, places: 4, contacts: 0, requests: 0)
            .load(into: engine, tenant: Self.tenant)
        try await FaultProxy.queue(proxy, Array(repeating: ("unprocessed", "BatchGetItem"), count: 200))
        let response = await engine.execute(
            GraphQLRequest(
                query:
                    "query($a: String!, $b: String!) { a: place(placeUuid: $a) { businessName } b: place(placeUuid: $b) { businessName } }",
                variables: ["a": .string(keys.places[0]), "b": .string(keys.places[1])]), tenant: Self.tenant)
        #expect(response.errorCodes.contains("STORE_UNAVAILABLE"))
        try await FaultProxy.queue(proxy, [], reset: true)
    }

    @Test func batchWritesCompleteThroughUnprocessedItemsAndThrottling() async throws {
        guard let (engine, proxy) = try await Self.engine() else { return }
        let table = engine.registry.physicalTable("places")
        try await FaultProxy.queue(
            proxy,
            [
                ("unprocessed", "BatchWriteItem"), ("throttle", "BatchWriteItem"), ("unprocessed", "BatchWriteItem"),
                ("drop", "BatchWriteItem"),
            ])
        let session = StoreSession(store: engine.store, metrics: engine.metrics)
        let requests = (0..<60).map { number in
            BatchWriteRequest.put(
                table: table,
                item: [
                    tenantAttribute: .string(Self.tenant.partitionKey), "place_uuid": .string("bulk-\(number)"),
                    "business_name": .string("Bulk \(number)"),
                ])
        }
        try await session.batchWrite(requests)
        #expect(session.counters.callsByOperation["BatchWriteItem"] == 3)
        let stored = try await session.count(
            QueryRequest(
                table: table, partition: .string(Self.tenant.partitionKey), sortCondition: .beginsWith("bulk-")))
        #expect(stored == 60)
        #expect(try await FaultProxy.stats(proxy)["faults_left"] == 0)
    }

    @Test(arguments: ["throttle", "error500", "drop", "drop-after"])
    func aWriteThroughAFaultIsAppliedExactlyOnce(_ fault: String) async throws {
        guard let (engine, proxy) = try await Self.engine() else { return }
        try await FaultProxy.queue(proxy, [(fault, "TransactWriteItems")])
        let response = await engine.execute(
            GraphQLRequest(
                query: """
                    mutation { insertUpdatePlace(region: "r", latitude: "1", longitude: "2", businessName: "Once",
                      address: "a", updatedBy: "faults") { place { placeUuid } } }
                    """), tenant: Self.tenant)
        #expect(response.errors.isEmpty, "\(fault): \(response.errors.map(\.error.message))")
        let key = try #require(response.data?["insertUpdatePlace"]?["place"]?["placeUuid"]?.stringValue)
        #expect(try await FaultProxy.stats(proxy)["faults_left"] == 0)

        let places = await engine.execute(GraphQLRequest(query: "{ placeList { total } }"), tenant: Self.tenant)
        #expect(places.data?["placeList"]?["total"] == 1)
        let history = try await engine.store.query(
            QueryRequest(
                table: engine.registry.physicalTable(RuntimeTables.activityHistory),
                partition: .string(Self.tenant.partitionKey),
                sortCondition: .beginsWith(key + "#")))
        #expect(history.items.count == 1, "\(fault): the write was recorded \(history.items.count) times")
    }
}
