import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// An engine over a fresh in-memory embedded store, optionally seeded with sample data.
struct TestEngine {
    let engine: GraphQLEngine
    let keys: SampleData.Keys

    static let tenantA = Tenant(endpointId: "tenant-a")
    static let tenantB = Tenant(endpointId: "tenant-b")

    init(
        seed sample: SampleData? = SampleData(), tenant: Tenant = TestEngine.tenantA,
        limits: QueryLimits = QueryLimits()
    )
        async throws
    {
        engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil), limits: limits)
        try await engine.createTables()
        keys = try await sample?.load(into: engine, tenant: tenant) ?? SampleData.Keys()
    }

    init(engine: GraphQLEngine, keys: SampleData.Keys) {
        self.engine = engine
        self.keys = keys
    }

    /// An engine of `registry` on `backend` (DynamoDB: the test run's moto_server, tables with a
    /// fresh prefix), or `nil` when that backend's tests are skipped. `schema` changes the
    /// registry and `wrap` the store (for fault injection).
    init?(
        backend: StoreBackend, registry: SchemaRegistry = AMESchemaRegistry.registry,
        seed sample: SampleData? = SampleData(), tenant: Tenant = TestEngine.tenantA,
        limits: QueryLimits = QueryLimits(), schema: (SchemaRegistry) -> SchemaRegistry = { $0 },
        wrap: (any Store) -> any Store = { $0 }, recentWrites: RecentWritesConfiguration = RecentWritesConfiguration()
    )
        async throws
    {
        var registry = schema(registry)
        // A table prefix of its own on DynamoDB, where the server is shared by the whole run.
        if backend == .dynamoDB { registry = registry.withTablePrefix("t\(UUID().uuidString.prefix(8).lowercased())-") }
        guard let store = try await backend.emptyStore(for: registry.tableDefinitions) else { return nil }
        let engine = try GraphQLEngine(
            registry: registry, store: wrap(store), limits: limits, recentWrites: recentWrites)
        try await engine.createTables()
        self.init(engine: engine, keys: try await sample?.load(into: engine, tenant: tenant) ?? SampleData.Keys())
    }

    func run(
        _ query: String, variables: JSONObject = [:], tenant: Tenant = TestEngine.tenantA,
        extensions: JSONObject = [:]
    ) async -> GraphQLResponse {
        await engine.execute(GraphQLRequest(query: query, variables: variables, extensions: extensions), tenant: tenant)
    }
}

extension TestEngine {
    /// Inserts a contact at the tenant's first place (or `place`) and returns its key.
    func insertContact(
        email: String, last: String, tenant: Tenant = TestEngine.tenantA, place: String? = nil
    ) async throws -> String {
        let place = try #require(place ?? keys.places.first)
        let response = await run(
            """
            mutation { insertUpdateContactProfile(email: "\(email)", firstName: "F", lastName: "\(last)",
              placeUuid: "\(place)", updatedBy: "t") { contactProfile { contactUuid } } }
            """, tenant: tenant)
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        return try #require(
            response.data?["insertUpdateContactProfile"]?["contactProfile"]?["contactUuid"]?.stringValue)
    }
}

extension GraphQLResponse {
    var errorCodes: [String] { errors.map(\.error.code) }
}
