import AMEGenerated
import AMERuntime
import AMEServer

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

    func run(_ query: String, variables: JSONObject = [:], tenant: Tenant = TestEngine.tenantA) async -> GraphQLResponse
    {
        await engine.execute(GraphQLRequest(query: query, variables: variables), tenant: tenant)
    }
}

extension GraphQLResponse {
    var errorCodes: [String] { errors.map(\.error.code) }
}
