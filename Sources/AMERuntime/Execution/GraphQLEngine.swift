import GraphQL
import Tracing

/// A GraphQL request as received over HTTP.
public struct GraphQLRequest: Sendable {
    public var query: String
    public var variables: JSONObject
    public var operationName: String?
    /// `false` for requests that must not change anything (GraphQL over HTTP `GET`).
    public var allowsMutations: Bool
    /// The request's `extensions` (e.g. `persistedQuery`).
    public var extensions: JSONObject

    public init(
        query: String, variables: JSONObject = JSONObject(), operationName: String? = nil, allowsMutations: Bool = true,
        extensions: JSONObject = JSONObject()
    ) {
        self.query = query
        self.variables = variables
        self.operationName = operationName
        self.allowsMutations = allowsMutations
        self.extensions = extensions
    }
}

/// What a request cost, reported in every response's `extensions.cost`.
public struct ExecutionCost: Sendable, Equatable {
    public var complexity: Int
    public var maxComplexity: Int
    public var storeCalls: Int
    public var itemsRead: Int
    /// Items (or their absence) the cache answered instead of the store.
    public var cacheHits: Int = 0
    /// Items read only to be tested by a filter no index serves (kept or dropped); `itemsRead`
    /// includes them.
    public var itemsScanned: Int = 0
    /// The capacity units the request's store calls cost by DynamoDB's published rules, computed
    /// alike on both stores from the items read and written.
    public var units: CapacityUnits = .zero
    /// The units estimated from the plan before execution (what admission control uses).
    public var estimatedUnits: CapacityUnits = .zero
    /// The units DynamoDB reported it consumed (`ReturnConsumedCapacity`); `nil` on the embedded
    /// store, which has no bill.
    public var consumedUnits: CapacityUnits?

    /// The cost of a request refused before it was measured or read anything.
    public static func none(maxComplexity: Int) -> ExecutionCost {
        ExecutionCost(complexity: 0, maxComplexity: maxComplexity, storeCalls: 0, itemsRead: 0)
    }

    public var json: JSONValue {
        var object = JSONObject()
        forEachField { object[$0] = $1 }
        return .object(object)
    }

    /// Writes the cost as ``json`` would be written, with no JSON value made first: every
    /// response carries it.
    func write(into writer: inout JSONWriter) {
        writer.writeRaw("{")
        var first = true
        forEachField { name, value in
            writer.writeMemberName(name, first: first)
            first = false
            writer.write(value)
        }
        writer.writeRaw("}")
    }

    /// The answered fields, in their order.
    private func forEachField(_ body: (String, JSONValue) -> Void) {
        body("complexity", .int(complexity))
        body("maxComplexity", .int(maxComplexity))
        body("storeCalls", .int(storeCalls))
        body("itemsRead", .int(itemsRead))
        body("itemsScanned", .int(itemsScanned))
        body("cacheHits", .int(cacheHits))
        body("readUnits", .double(units.read))
        body("writeUnits", .double(units.write))
        body("estimatedReadUnits", .double(estimatedUnits.read))
        body("estimatedWriteUnits", .double(estimatedUnits.write))
        body("consumedReadUnits", consumedUnits.map { .double($0.read) } ?? .null)
        body("consumedWriteUnits", consumedUnits.map { .double($0.write) } ?? .null)
    }
}

/// The result of one request.
public struct GraphQLResponse: Sendable {
    /// What became of a request, decided where it is known: its HTTP status follows from it.
    public enum Outcome: Sendable, Equatable {
        /// The operation ran: `data` is in the body (`null` when a non-null root field failed).
        case executed
        /// The request failed before execution (a persisted operation, parsing, validation,
        /// limits): nothing was read, and the body has no `data`.
        case requestError
        /// A mutation where only queries are allowed (GraphQL over HTTP `GET`): nothing ran.
        case mutationRefused
        /// The tenant's capacity units are spent (``RateLimiter``): nothing ran; the client may
        /// retry after the seconds given (HTTP 429, `Retry-After`).
        case rateLimited(retryAfterSeconds: Int)
    }

    /// The executed result, written straight into ``body``; `nil` when the request failed before
    /// execution (parse, validation, limits), or when a non-null root field failed.
    let tree: ResultObject?
    public internal(set) var outcome: Outcome
    /// The data as a JSON value (built on each access: servers use ``body``).
    public var data: JSONValue? { tree?.json }
    public var errors: [GraphQLErrorPayload]
    public var cost: ExecutionCost
    /// Store calls by operation, for metrics and tests.
    public var storeCounters: StoreSession.Counters
    /// The name of the operation executed, when it has one (for logs and metrics).
    public var operationName: String?
    /// Every store call by level, when the request asked for it (`extensions: {"plan": true}`),
    /// answered as `extensions.plan`.
    public var plan: StorePlan?

    /// The response's `extensions`.
    var extensions: JSONValue {
        var object: JSONObject = ["cost": cost.json]
        if let plan { object["plan"] = plan.json }
        return .object(object)
    }

    /// Whether the request failed before execution began (HTTP 400 in GraphQL over HTTP, or 405
    /// for a refused mutation).
    public var isRequestError: Bool { outcome != .executed }

    /// The GraphQL-over-HTTP response body as a JSON value.
    public var json: JSONValue {
        var object = JSONObject()
        if !errors.isEmpty { object["errors"] = .array(errors.map(\.json)) }
        if let data { object["data"] = data } else if errors.isEmpty || outcome == .executed { object["data"] = .null }
        object["extensions"] = extensions
        return .object(object)
    }

    /// The GraphQL-over-HTTP response body, written from the result tree without an intermediate
    /// JSON value.
    public var body: [UInt8] {
        var writer = JSONWriter()
        writer.writeRaw("{")
        if !errors.isEmpty {
            writer.write(string: "errors")
            writer.writeRaw(":")
            writer.write(.array(errors.map(\.json)))
            writer.writeRaw(",")
        }
        if let tree {
            writer.write(string: "data")
            writer.writeRaw(":")
            writer.write(tree)
            writer.writeRaw(",")
        } else if errors.isEmpty || outcome == .executed {
            writer.writeRaw("\"data\":null,")
        }
        writer.writeRaw("\"extensions\":{\"cost\":")
        cost.write(into: &writer)
        if let plan {
            writer.writeRaw(",\"plan\":")
            writer.write(plan.json)
        }
        writer.writeRaw("}}")
        return writer.bytes
    }
}

/// The store calls of one request, by the executor's level: what `extensions.plan` answers.
public struct StorePlan: Sendable, Equatable {
    public var operations: [StoreOperationRecord]
    /// Calls past ``StoreSession/maxRecordedOperations``, counted but not listed.
    public var notListed: Int

    init(_ counters: StoreSession.Counters) {
        operations = counters.operations
        notListed = counters.operationsNotRecorded
    }

    /// `{"levels": [{"level": 1, "operations": [...], "readUnits": …}], …}`: level 0 holds the
    /// calls made before the first level (a mutation's writes and the reads they need).
    public var json: JSONValue {
        let levels = Dictionary(grouping: operations, by: \.level).sorted { $0.key < $1.key }
        var object: JSONObject = [
            "levels": .array(
                levels.map { level, operations in
                    let units = operations.reduce(CapacityUnits.zero) { $0 + $1.units }
                    return [
                        "level": .int(level), "operations": .array(operations.map(\.json)),
                        "readUnits": .double(units.read), "writeUnits": .double(units.write),
                    ]
                })
        ]
        if notListed > 0 { object["operationsNotListed"] = .int(notListed) }
        return .object(object)
    }
}

/// A tenant's own complexity and depth limits (`AME_TENANT_LIMITS`).
public struct TenantLimits: Sendable, Equatable {
    public var maxComplexity: Int?
    public var maxDepth: Int?

    public init(maxComplexity: Int? = nil, maxDepth: Int? = nil) {
        self.maxComplexity = maxComplexity
        self.maxDepth = maxDepth
    }

    /// Reads `{"acme": {"maxComplexity": 5000}, "acme#eu": {"maxDepth": 12}}`.
    public static func parse(_ text: String) throws(AMEError) -> [String: TenantLimits] {
        let invalid = AMEError.badUserInput(
            "AME_TENANT_LIMITS must be a JSON object like {\"acme\": {\"maxComplexity\": 5000, \"maxDepth\": 12}}",
            field: nil)
        guard case .object(let tenants)? = try? JSONValue.parse(text) else { throw invalid }
        var result: [String: TenantLimits] = [:]
        for (tenant, value) in tenants.pairs {
            guard case .object(let limits) = value,
                limits.keys.allSatisfy({ ["maxComplexity", "maxDepth"].contains($0) })
            else { throw invalid }
            let complexity = limits["maxComplexity"]?.intValue
            let depth = limits["maxDepth"]?.intValue
            guard complexity.map({ $0 > 0 }) ?? true, depth.map({ $0 > 0 }) ?? true else { throw invalid }
            result[tenant] = TenantLimits(maxComplexity: complexity, maxDepth: depth)
        }
        return result
    }
}

/// Limits applied to each request before any store call.
public struct QueryLimits: Sendable {
    public var maxComplexity: Int
    public var maxDepth: Int
    /// The page size of lists and `hasMany` relations when no `limit` is given.
    public var defaultPageSize: Int
    /// The largest `limit` a list accepts.
    public var maxPageSize: Int
    /// How many Queries of one level (a `hasMany` per parent) may be in flight at once.
    public var maxConcurrentQueries: Int
    /// How many parsed and validated documents are kept for repeated queries.
    public var documentCacheSize: Int
    /// The longest query text, in bytes (`AME_MAX_QUERY_LENGTH`).
    public var maxQueryBytes: Int
    /// The most tokens of a query document (`AME_MAX_QUERY_TOKENS`).
    public var maxQueryTokens: Int
    /// The deepest nesting of `{`, `[` and `(` in a query document (`AME_MAX_QUERY_NESTING`).
    public var maxQueryNesting: Int
    /// The longest string, in a query literal or a JSON body, in bytes (`AME_MAX_STRING_BYTES`).
    public var maxStringBytes: Int
    /// The deepest nesting of a `data` attribute's value (`AME_MAX_DATA_DEPTH`).
    public var maxDataDepth: Int
    /// The most bytes of an entity's `data`, all attributes together (`AME_MAX_DATA_BYTES`).
    public var maxDataBytes: Int
    /// The most attributes of an entity's `data` (`AME_MAX_DATA_KEYS`).
    public var maxDataKeys: Int
    /// The most items one request may read only to test them against filters no index serves
    /// (`AME_MAX_SCAN_ITEMS`).
    public var maxScanItems: Int

    public init(
        maxComplexity: Int = 1000, maxDepth: Int = 10, defaultPageSize: Int = 100, maxPageSize: Int = 1000,
        maxConcurrentQueries: Int = 32, documentCacheSize: Int = 1000, maxQueryBytes: Int = 100_000,
        maxQueryTokens: Int = 10_000, maxQueryNesting: Int = 32, maxStringBytes: Int = 65_536,
        maxDataDepth: Int = 16, maxDataBytes: Int = 262_144, maxDataKeys: Int = 1000, maxScanItems: Int = 50_000
    ) {
        self.maxScanItems = maxScanItems
        self.maxDataDepth = maxDataDepth
        self.maxDataBytes = maxDataBytes
        self.maxDataKeys = maxDataKeys
        self.maxQueryBytes = maxQueryBytes
        self.maxQueryTokens = maxQueryTokens
        self.maxQueryNesting = maxQueryNesting
        self.maxStringBytes = maxStringBytes
        self.documentCacheSize = documentCacheSize
        self.maxComplexity = maxComplexity
        self.maxDepth = maxDepth
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
        self.maxConcurrentQueries = maxConcurrentQueries
    }
}

/// The entry point of the runtime: parses, validates and executes GraphQL requests against a
/// generated schema and a store, level by level with batched store calls.
public final class GraphQLEngine: Sendable {
    public let registry: SchemaRegistry
    public let store: any Store
    /// The entity cache (memory + Redis), when enabled.
    public let cache: HybridCache?
    public let limits: QueryLimits
    /// Per-tenant complexity and depth limits, by `endpoint_id` or `endpoint_id#part_id`.
    public let tenantLimits: [String: TenantLimits]

    /// The limits for one tenant: its own where set (`endpoint#part` over `endpoint`), else the defaults.
    public func limits(for tenant: Tenant) -> QueryLimits {
        var result = limits
        for key in [tenant.endpointId, tenant.partitionKey] {
            guard let override = tenantLimits[key] else { continue }
            if let value = override.maxComplexity { result.maxComplexity = value }
            if let value = override.maxDepth { result.maxDepth = value }
        }
        return result
    }
    let schema: GraphQLSchema
    /// What every field of every type does, decided once here.
    let plan: ExecutionPlan
    /// The name of the root mutation type (`mutation_type` in `schema/ame.yaml`).
    let mutationTypeName: String
    /// Signs the URLs of `presignedUploadUrl`; `nil` when uploads are not configured.
    public let uploadSigner: (any UploadURLSigning)?
    let clock: @Sendable () -> Timestamp
    /// Makes the keys of inserted rows (`generated: uuid`).
    let keys: KeyGenerator
    /// Signs and checks `nextToken`s.
    let pageTokens: PageTokenSigner
    /// Parsed, validated documents by query text.
    let documents: DocumentCache
    /// Answers `__schema` and `__type`.
    let introspection: Introspection
    /// Whether `__schema` and `__type` are answered (`AME_INTROSPECTION`); `__typename` always is.
    public let introspectionEnabled: Bool
    /// Persisted operations: automatic (Apollo's protocol), an allow-list, or off.
    let persistedOperations: PersistedOperations
    /// The metric handles of its store calls, field errors and cache, made once; the server's
    /// request metrics use the same backend.
    public let metrics: RuntimeMetrics
    /// Admits each request against its tenant's capacity units and charges what it cost; `nil`
    /// when rate limits are off.
    public let rateLimiter: RateLimiter?
    /// The writes of the last moments to tables with global indexes, which reads of those indexes
    /// return although the index may not list them yet.
    public let recentWrites: RecentWrites

    /// Hits and misses of the parsed-document cache, and how many documents it holds.
    public var documentCacheStatistics: (hits: Int, misses: Int, count: Int) { documents.statistics }

    /// `Type.field` of every field of a generated type that the runtime has no resolver for. Empty
    /// for a schema `ame-codegen` generated; a field renamed on one side only would be listed.
    public var unresolvedFields: [String] { plan.unresolvedFields }

    public init(
        registry: SchemaRegistry, store: any Store, limits: QueryLimits = QueryLimits(),
        tenantLimits: [String: TenantLimits] = [:],
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now, keys: KeyGenerator = .random,
        pageTokens: PageTokenSigner = .random(), cache: HybridCache? = nil, introspection: Bool = true,
        uploadSigner: (any UploadURLSigning)? = nil,
        persistedOperations: PersistedOperationsConfiguration = PersistedOperationsConfiguration(),
        metrics: RuntimeMetrics? = nil, rateLimiter: RateLimiter? = nil,
        recentWrites: RecentWritesConfiguration = RecentWritesConfiguration()
    ) throws {
        self.cache = cache
        // The entities' tables: the runtime's own records are placed by none of their reads.
        let entityTables = Set(registry.entities.map { registry.physicalTable($0.table) })
        self.recentWrites = RecentWrites(
            configuration: recentWrites, tables: registry.tableDefinitions.filter { entityTables.contains($0.name) },
            schemaVersion: registry.schemaVersion)
        self.rateLimiter = rateLimiter
        // One set of handles for the engine and its cache.
        self.metrics = metrics ?? cache?.metrics ?? RuntimeMetrics()
        introspectionEnabled = introspection
        self.uploadSigner = uploadSigner
        self.pageTokens = pageTokens
        documents = DocumentCache(capacity: limits.documentCacheSize)
        self.registry = registry
        self.store = store
        self.keys = keys
        self.limits = limits
        self.tenantLimits = tenantLimits
        self.clock = clock
        schema = try buildSchema(source: registry.sdl)
        self.introspection = Introspection(schema: schema, sdl: registry.sdl)
        mutationTypeName = schema.mutationType?.name ?? "Mutation"
        self.persistedOperations = PersistedOperations(configuration: persistedOperations, redis: cache?.redis)
        plan = ExecutionPlan(schema: schema, registry: registry)
        // The allow-list's operations are parsed and validated once, at start, and kept.
        if case .allowList(let operations) = persistedOperations.mode {
            for (hash, query) in operations {
                switch checkedDocument(query) {
                case .success(let document): documents.pin(document, for: query)
                case .failure(let failure):
                    throw AMEError.badUserInput(
                        "the persisted operation \(hash) does not validate against the schema: "
                            + failure.errors.map(\.error.message).joined(separator: "; "), field: nil)
                }
            }
        }
    }

    /// Creates every table the schema needs (idempotent), after checking that the existing ones
    /// have the schema's keys and indexes: on a mismatch nothing is created.
    public func createTables() async throws {
        try await checkTables()
        for table in registry.tableDefinitions { try await store.createTable(table) }
    }

    /// Throws ``StoreError/tableMismatch(_:)`` when an existing table's keys or indexes are not the
    /// schema's (``TableCheck``).
    public func checkTables() async throws {
        try await TableCheck.verify(registry.tableDefinitions, in: store)
    }

    /// Executes one request for one tenant.
    public func execute(_ request: GraphQLRequest, tenant: Tenant) async -> GraphQLResponse {
        var request = request
        let persisted: PersistedOperations.Resolution
        do {
            persisted = try await persistedOperations.resolve(request)
            request.query = persisted.query
        } catch {
            return GraphQLResponse(
                tree: nil, outcome: .requestError, errors: [GraphQLErrorPayload(error)],
                cost: ExecutionCost(
                    complexity: 0, maxComplexity: limits(for: tenant).maxComplexity, storeCalls: 0, itemsRead: 0),
                storeCounters: StoreSession.Counters())
        }
        let wantsPlan = if case .bool(true)? = request.extensions["plan"] { true } else { false }
        let session = StoreSession(
            store: store, cache: cache, metrics: metrics, tables: registry.tableDefinitions,
            recordsOperations: wantsPlan, recentWrites: recentWrites)
        let limits = limits(for: tenant)
        var complexity = 0
        var estimatedUnits = CapacityUnits.zero
        func response(
            data: ResultObject?, errors: [GraphQLErrorPayload], outcome: GraphQLResponse.Outcome = .requestError
        ) -> GraphQLResponse {
            let counters = session.counters
            var response = GraphQLResponse(
                tree: data, outcome: outcome, errors: errors,
                cost: ExecutionCost(
                    complexity: complexity, maxComplexity: limits.maxComplexity, storeCalls: counters.storeCalls,
                    itemsRead: counters.itemsRead, cacheHits: counters.cacheHits, itemsScanned: counters.itemsScanned,
                    units: counters.units, estimatedUnits: estimatedUnits, consumedUnits: counters.consumedUnits
                ),
                storeCounters: counters
            )
            if wantsPlan { response.plan = StorePlan(counters) }
            return response
        }

        let document: Document
        let cached = documents.document(for: request.query)
        if let cached {
            document = cached
        } else {
            // GraphQLSwift's parser and validation recurse and trust their input: bound it first.
            if let violation = DocumentBounds(limits: limits).violation(in: request.query) {
                return response(data: nil, errors: [GraphQLErrorPayload(violation)])
            }
            do {
                document = try parse(source: Source(body: request.query, name: "GraphQL request"))
            } catch let error as GraphQLError {
                return response(data: nil, errors: [Self.payload(error, code: { .parseFailed($0) })])
            } catch {
                return response(data: nil, errors: [GraphQLErrorPayload(.parseFailed("cannot parse the query"))])
            }
        }
        if !request.allowsMutations, Execution.selectsMutation(document, operationName: request.operationName) {
            return response(
                data: nil, errors: [GraphQLErrorPayload(.badUserInput("mutations must be sent with POST", field: nil))],
                outcome: .mutationRefused)
        }
        // The limits are checked before validation, whose cost grows with the document's size:
        // a fragment bomb is refused without being expanded.
        let execution: Execution
        do throws(AMEError) {
            execution = try Execution(
                engine: self, document: document, request: request, tenant: tenant, limits: limits, session: session
            )
            if !introspectionEnabled, try execution.selectsIntrospection() { throw AMEError.introspectionDisabled }
            let measured = try execution.measure()
            complexity = measured.complexity
            estimatedUnits = measured.units
            if measured.depth > limits.maxDepth {
                throw AMEError.queryTooDeep(depth: measured.depth, maxDepth: limits.maxDepth)
            }
            if measured.complexity > limits.maxComplexity {
                throw AMEError.queryTooComplex(complexity: measured.complexity, maxComplexity: limits.maxComplexity)
            }
        } catch {
            return response(data: nil, errors: [GraphQLErrorPayload(error)])
        }
        if let refusal = await admission(for: tenant, estimate: estimatedUnits) {
            return response(
                data: nil, errors: [GraphQLErrorPayload(.rateLimited(refusal))],
                outcome: .rateLimited(retryAfterSeconds: refusal.retryAfterSeconds))
        }
        if cached == nil {
            let validationErrors = Self.repeatedDefinitions(in: document) ?? validate(schema: schema, ast: document)
            if !validationErrors.isEmpty {
                return response(
                    data: nil, errors: validationErrors.map { Self.payload($0, code: { .validationFailed($0) }) })
            }
            documents.store(document, for: request.query)
        }
        if let hash = persisted.registerAs { await persistedOperations.register(request.query, hash: hash) }
        // On the store's own threads (the embedded store's), a level's read is made in place.
        let data = await withTaskExecutorPreference(store.taskExecutor) {
            await withSpan("execute \(execution.operation.name?.value ?? "anonymous")") { _ in
                await execution.run()
            }
        }
        var result = response(data: data, errors: execution.errors, outcome: .executed)
        result.operationName = execution.operation.name?.value
        await settle(result, for: tenant)
        return result
    }

    /// Operations of the same name (or more than one anonymous one) and fragments of the same name,
    /// with the errors of the GraphQL rules that forbid them; `nil` when there are none.
    /// GraphQLSwift's validation keys dictionaries by operation and fragment definitions whose
    /// `==` compares content but whose hash is their identity: two identical definitions trap in
    /// the middle of validation, before those rules report them.
    static func repeatedDefinitions(in document: Document) -> [GraphQLError]? {
        var errors: [GraphQLError] = []
        var operations: [String: Name] = [:]
        var fragments: [String: Name] = [:]
        var anonymous = 0
        var definitions = 0
        for definition in document.definitions {
            if let operation = definition as? OperationDefinition {
                definitions += 1
                guard let name = operation.name else {
                    anonymous += 1
                    continue
                }
                if let known = operations[name.value] {
                    errors.append(
                        GraphQLError(
                            message: "There can be only one operation named \"\(name.value)\".", nodes: [known, name]))
                } else {
                    operations[name.value] = name
                }
            } else if let fragment = definition as? FragmentDefinition {
                let name = fragment.name
                if let known = fragments[name.value] {
                    errors.append(
                        GraphQLError(
                            message: "There can be only one fragment named \"\(name.value)\".", nodes: [known, name]))
                } else {
                    fragments[name.value] = name
                }
            }
        }
        if anonymous > 1 || (anonymous == 1 && definitions > 1) {
            for case let operation as OperationDefinition in document.definitions where operation.name == nil {
                errors.append(
                    GraphQLError(
                        message: "This anonymous operation must be the only defined operation.", nodes: [operation]))
            }
        }
        return errors.isEmpty ? nil : errors
    }

    static func payload(_ error: GraphQLError, code: (String) -> AMEError) -> GraphQLErrorPayload {
        GraphQLErrorPayload(code(error.message), locations: error.locations.map { ($0.line, $0.column) })
    }
}
