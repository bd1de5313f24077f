import AMERuntime
import GraphQL

/// GraphQLSwift's own execution (`graphql()`) over the same SDL and store as AME, with
/// straightforward per-field resolvers: each field reads what it needs when it is resolved.
///
/// It is the reference AME's executor is checked against (the differential tests) and the
/// baseline it is measured against (`ame-bench executor`). It covers what queries read: the
/// entities' get and list roots, their fields, relations and `data`. Mutations and the runtime's
/// own roots (`attributeValue…`, `activityHistory…`) are not part of it.
public final class ReferenceExecutor: Sendable {
    /// How relation and `data` reads reach the store.
    public enum Loading: Sendable {
        /// One GetItem per object and field (the N+1 of per-field resolvers).
        case perField
        /// DataLoader style: keys requested within `window` of each other share one BatchGetItem.
        case batchWindow(Duration)
    }

    let schema: GraphQLSchema
    let registry: SchemaRegistry
    let store: any Store
    let loading: Loading
    /// Store calls are recorded as the engine's are.
    let metrics = RuntimeMetrics()

    /// - Parameter defaultPageSize: the page size of `hasMany` relations without a `limit`, as in AME.
    public init(
        registry: SchemaRegistry, store: any Store, loading: Loading = .perField, defaultPageSize: Int = 100
    )
        throws
    {
        self.registry = registry
        self.store = store
        self.loading = loading
        schema = try buildSchema(source: registry.sdl)
        let resolvers = Resolvers(
            registry: registry, defaultPageSize: defaultPageSize, mutationType: schema.mutationType?.name ?? "Mutation")
        for case let type as GraphQLObjectType in schema.typeMap.values where !type.name.hasPrefix("__") {
            var fields = try type.fields()
            for (name, field) in fields {
                if let resolve = resolvers.resolver(type: type.name, field: name) { field.resolve = resolve }
            }
            fields = fields.reduce(into: GraphQLFieldMap()) { $0[$1.key] = $1.value }
            type.fields = { [fields] in fields }
        }
    }

    /// The result of one request: the GraphQL response and what it cost the store.
    public struct Response: Sendable {
        /// `{"data": …, "errors": [...]}` as GraphQLSwift answers it.
        public var json: JSONValue
        public var counters: StoreSession.Counters
    }

    public func execute(_ request: AMERuntime.GraphQLRequest, tenant: Tenant) async -> Response {
        let session = StoreSession(store: store, metrics: metrics)
        let context = RequestContext(tenant: tenant, session: session, registry: registry, loading: loading)
        var object = JSONObject()
        do {
            let result = try await graphql(
                schema: schema, request: request.query, context: context,
                variableValues: request.variables.pairs.reduce(into: [:]) { $0[$1.0] = $1.1.map },
                operationName: request.operationName)
            if !result.errors.isEmpty {
                object["errors"] = .array(
                    result.errors.map { error -> JSONValue in
                        let path = error.path.elements.map { element -> JSONValue in
                            switch element {
                            case .key(let key): .string(key)
                            case .index(let index): .int(index)
                            }
                        }
                        return ["message": .string(error.message), "path": .array(path)]
                    })
            }
            if let data = result.data {
                object["data"] = data.json
            } else if result.errors.contains(where: { !$0.path.elements.isEmpty }) {
                // Execution ran and a non-null root field failed: `data` is null (spec §7.1.2).
                object["data"] = .null
            }
        } catch {
            object["errors"] = [["message": .string("\(error)"), "path": []]]
        }
        return Response(json: .object(object), counters: session.counters)
    }
}

/// What every resolver of one request shares.
final class RequestContext: Sendable {
    let tenant: Tenant
    let session: StoreSession
    let registry: SchemaRegistry
    let loader: BatchWindowLoader?

    init(tenant: Tenant, session: StoreSession, registry: SchemaRegistry, loading: ReferenceExecutor.Loading) {
        self.tenant = tenant
        self.session = session
        self.registry = registry
        switch loading {
        case .perField: loader = nil
        case .batchWindow(let window): loader = BatchWindowLoader(session: session, window: window)
        }
    }

    /// Reads one item of the tenant: through the batch window, or with its own GetItem.
    func item(table: String, key: String) async throws -> Item? {
        let tableKey = TableKey(
            table: registry.physicalTable(table), key: ItemKey(partition: tenant.partitionKey, sort: key))
        if let loader { return try await loader.load(tableKey) }
        return try await session.getItem(table: tableKey.table, key: tableKey.key)
    }
}

/// An entity object being resolved.
struct EntityNode: Sendable {
    let entity: EntityDefinition
    let model: any EntityModel
}

/// A page of a list (`…ListType`) being resolved.
struct ListNode: Sendable {
    let entity: EntityDefinition
    let items: [EntityNode]
    let pageSize: Int
    let pageNumber: Int?
    let hasMore: Bool
    /// The total, when known from the read; else the request that counts it.
    let total: Int?
    let countRequest: QueryRequest?
}
