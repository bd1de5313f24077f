import GraphQL
import Metrics
import Tracing

/// One request's execution: fields are resolved level by level. At each level, every relation
/// field of every object collects its keys; the level's keys (all tables, deduplicated) are read
/// with one BatchGetItem per 100 keys, and the level's Queries run concurrently. No store call is
/// made per item, and nothing waits on a timer.
final class Execution {
    let engine: GraphQLEngine
    let tenant: Tenant
    /// The limits that apply to this tenant.
    let limits: QueryLimits
    let session: StoreSession
    let operation: OperationDefinition
    let document: Document
    let request: GraphQLRequest
    let collector: FieldCollector
    let variables: [String: JSONValue]
    private(set) var errors: [GraphQLErrorPayload] = []
    /// The response's data under construction.
    let root = ResultObject()
    /// Objects whose fields are resolved at the next level.
    var pendingWork: [EntityWork] = []
    /// The physical table of `data` items, named once per request.
    let attributeTable: String

    init(
        engine: GraphQLEngine, document: Document, request: GraphQLRequest, tenant: Tenant, limits: QueryLimits,
        session: StoreSession
    ) throws(AMEError) {
        self.engine = engine
        self.tenant = tenant
        self.limits = limits
        self.session = session
        self.document = document
        self.request = request
        attributeTable = engine.registry.physicalTable(RuntimeTables.attributeValues)
        operation = try OperationChoice.operation(in: document, named: request.operationName)
        variables = try VariableCoercion(schema: engine.schema).coerce(
            operation.variableDefinitions, given: request.variables)
        collector = FieldCollector(
            fragments: OperationChoice.fragments(of: document), variables: variables, plan: engine.plan)
    }

    /// Whether the operation a request would run is a mutation (`false` when none can be chosen:
    /// running it then reports why).
    static func selectsMutation(_ document: Document, operationName: String?) -> Bool {
        (try? OperationChoice.operation(in: document, named: operationName))?.operation == .mutation
    }

    var rootTypeName: String { operation.operation == .mutation ? engine.mutationTypeName : "Query" }

    /// The complexity and depth of the operation, computed before any store call.
    func measure() throws(AMEError) -> ComplexityAnalysis.Measure {
        let fields = try collector.collect(operation.selectionSet, typeName: rootTypeName)
        return try ComplexityAnalysis(engine: engine, collector: collector, limits: limits).measure(fields)
    }

    func report(_ error: Error, path: [JSONValue], field: CollectedField?) {
        let ameError = AMEError.answering(error)
        engine.metrics.countFieldError(code: ameError.code)
        errors.append(
            GraphQLErrorPayload(
                ameError, path: path, locations: field?.location.map { [$0] } ?? [],
                cause: error is AMEError ? nil : String(describing: error)))
    }

    // MARK: Running the operation

    func run() async -> ResultObject? {
        let fields: [CollectedField]
        do {
            fields = try collector.collect(operation.selectionSet, typeName: rootTypeName)
        } catch {
            report(error, path: [], field: nil)
            return nil
        }
        if operation.operation == .mutation {
            // Mutations run one after another (GraphQL spec §6.2.2); each then resolves its selection.
            for field in fields {
                let slot = root.append(field.responseKey, .null)
                do {
                    try await resolveMutation(field, into: root, slot: slot)
                } catch {
                    report(error, path: [.string(field.responseKey)], field: field)
                }
                await drainLevels()
            }
        } else {
            var level = Level()
            for field in fields {
                let slot = root.append(field.responseKey, .null)
                switch field.plan {
                case .schemaIntrospection, .typeIntrospection:
                    resolveIntrospection(field, into: root, slot: slot)
                    continue
                case .system(let system):
                    await resolveSystemField(system, field, into: root, slot: slot)
                    continue
                default: break
                }
                do {
                    try planRootQueryField(field, into: root, slot: slot, level: &level)
                } catch {
                    report(error, path: [.string(field.responseKey)], field: field)
                }
            }
            await execute(level)
            await drainLevels()
            // A non-null root field (a get) that failed is null, and its null makes the whole
            // `data` null (GraphQL spec §6.4.4).
            for (slot, field) in fields.enumerated() where field.planned.isNonNull {
                if case .json(.null) = root.values[slot] { return nil }
            }
        }
        return root
    }

    /// Resolves queued object work level by level until no relation is left to load.
    private func drainLevels() async {
        while !pendingWork.isEmpty {
            // A request that timed out or lost its client stops here: its answer is not wanted.
            guard !Task.isCancelled else {
                pendingWork = []
                return
            }
            let work = pendingWork
            pendingWork = []
            var level = Level()
            for item in work { plan(item, level: &level) }
            await execute(level)
        }
    }

    private func execute(_ level: Level) async {
        guard !level.isEmpty else { return }
        await withSpan("level") { span in
            if span.isRecording {
                span.attributes["ame.keys"] = level.keys.count
                span.attributes["ame.queries"] = level.queries.count
            }
            await LevelLoader(session: session, maxConcurrentQueries: engine.limits.maxConcurrentQueries).load(level)
        }
    }

    // MARK: Root query fields

    private func planRootQueryField(
        _ field: CollectedField, into root: ResultObject, slot: Int, level: inout Level
    )
        throws
    {
        let path: [JSONValue] = [.string(field.responseKey)]
        switch field.plan {
        case .typename(let name):
            root.values[slot] = .json(.string(name))
        case .ping:
            root.values[slot] = .json(.string("pong"))
        case .get(let entity):
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            let lookup = try GetLookup(entity: entity, arguments: arguments)
            let children = try collector.collectChildren(of: field)
            let table = engine.registry.physicalTable(entity.table)
            let fill = { [self] (item: Item?, prefetched: [TableKey: Item]?) in
                guard let item, lookup.accepts(item) else {
                    // A get names one row: its absence is an error the client should see.
                    return report(
                        AMEError.entityNotFound(type: entity.name, key: lookup.requested), path: path, field: field)
                }
                do {
                    let model = try entity.decode(item)
                    let rows = ResultRows(keys: children.map(\.responseKey), count: 1)
                    root.values[slot] = .row(rows, 0)
                    pendingWork.append(
                        EntityWork(
                            entity: entity, fields: children, entries: [Entry(model, rows.row(0))],
                            prefetched: prefetched))
                } catch {
                    report(error, path: path, field: field)
                }
            }
            switch lookup {
            case .key(let key, _):
                let tableKey = TableKey(table: table, key: ItemKey(partition: tenant.partitionKey, sort: key))
                level.keys.append(tableKey)
                level.reads(table, entity.projection(for: children))
                let dataKey = children.selectsData ? activeDataKey(entity, id: key) : nil
                if let dataKey {
                    level.keys.append(dataKey)
                    level.reads(attributeTable, nil)
                }
                level.fills.append { [self] results in
                    if let error = results.batchError { return report(error, path: path, field: field) }
                    fill(results.items[tableKey], dataKey == nil ? nil : results.items)
                }
            case .unique(let attribute, let index, let isGlobal, let value):
                let request = QueryRequest(
                    table: table, index: index, partition: .string(tenant.partitionKey),
                    sortCondition: .equals(.string(value)), limit: 1)
                let definition = TableDefinition(
                    name: table, sortAttribute: entity.keyAttribute, indexes: entity.indexes)
                let tenant = tenant.partitionKey
                let position = level.query { session in
                    let items =
                        isGlobal
                        ? try await session.currentPage(
                            request, in: definition, tenant: tenant,
                            belongs: { WritePath.sameValue($0[attribute], .string(value)) }
                        ).items : try await session.query(request).items
                    return QueryOutcome(items: items, lastEvaluatedKey: nil, total: nil)
                }
                level.fills.append { [self] results in
                    switch results.queries[position] {
                    case .failure(let error): report(error, path: path, field: field)
                    case .success(let outcome): fill(outcome.items.first, nil)
                    }
                }
            }
        case .list(let entity):
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            var list = try ListReader(entity: entity, arguments: arguments, engine: engine, tenant: tenant)
            let listFields = try collector.collectChildren(of: field)
            list.project(try itemProjection(entity, listFields))
            let reader = list
            let wantsTotal = listFields.selectsTotal
            let index = level.query { session in try await reader.read(session, countTotal: wantsTotal) }
            level.fills.append { [self] results in
                switch results.queries[index] {
                case .failure(let error): report(error, path: path, field: field)
                case .success(let outcome):
                    let page = listObject(
                        entity: entity, fields: listFields, outcome: outcome, pageSize: reader.limit,
                        pageNumber: reader.pageNumber, tokenScope: reader.tokenScope, path: path)
                    root.values[slot] = page.map(ResultValue.object) ?? .null
                }
            }
        case .unresolved(let type, let name):
            throw AMEError.unresolvedField(type: type, field: name)
        default:
            throw AMEError.badUserInput("`\(field.name)` is a mutation", field: nil)
        }
    }
}
