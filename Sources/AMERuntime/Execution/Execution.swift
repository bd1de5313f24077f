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
    private let root = ResultObject()
    /// Objects whose fields are resolved at the next level.
    private var pendingWork: [EntityWork] = []
    /// The physical table of `data` items, named once per request.
    private let attributeTable: String

    init(
        engine: GraphQLEngine, document: Document, request: GraphQLRequest, tenant: Tenant, limits: QueryLimits,
        session: StoreSession
    ) throws {
        self.engine = engine
        self.tenant = tenant
        self.limits = limits
        self.session = session
        self.document = document
        self.request = request
        attributeTable = engine.registry.physicalTable(RuntimeTables.attributeValues)
        var operations: [OperationDefinition] = []
        var fragments: [String: FragmentDefinition] = [:]
        for definition in document.definitions {
            if let operation = definition as? OperationDefinition { operations.append(operation) }
            if let fragment = definition as? FragmentDefinition { fragments[fragment.name.value] = fragment }
        }
        let chosen: OperationDefinition?
        if let name = request.operationName {
            chosen = operations.first { $0.name?.value == name }
            guard chosen != nil else {
                throw AMEError.badUserInput("no operation named `\(name)` in the document", field: nil)
            }
        } else {
            guard operations.count == 1 else {
                throw AMEError.badUserInput("the document has several operations: give `operationName`", field: nil)
            }
            chosen = operations.first
        }
        operation = chosen!
        variables = try Self.coerceVariables(
            operation.variableDefinitions, request.variables, coercion: VariableCoercion(schema: engine.schema))
        collector = FieldCollector(fragments: fragments, variables: variables)
    }

    private static func coerceVariables(
        _ definitions: [VariableDefinition], _ given: JSONObject, coercion: VariableCoercion
    ) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for definition in definitions {
            let name = definition.variable.name.value
            if let value = given[name] {
                result[name] = try coercion.coerce(value, to: definition.type, path: name)
            } else if let defaultValue = definition.defaultValue {
                result[name] = try ArgumentCoercion.value(of: defaultValue, variables: [:])
            } else if definition.type is NonNullType {
                throw AMEError.badUserInput("variable `$\(name)` is required", field: name)
            }
        }
        return result
    }

    /// Whether the operation a request would run is a mutation.
    static func selectsMutation(_ document: Document, operationName: String?) -> Bool {
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        let chosen: OperationDefinition?
        if let operationName {
            chosen = operations.first { $0.name?.value == operationName }
        } else {
            chosen = operations.first
        }
        return chosen?.operation == .mutation
    }

    var rootTypeName: String { operation.operation == .mutation ? engine.mutationTypeName : "Query" }

    /// The complexity and depth of the operation, computed before any store call.
    func measure() throws(AMEError) -> (complexity: Int, depth: Int) {
        let fields = try collector.collect(operation.selectionSet, typeName: rootTypeName)
        return try ComplexityAnalysis(engine: engine, collector: collector, limits: limits)
            .measure(fields, typeName: rootTypeName)
    }

    func report(_ error: Error, path: [JSONValue], field: CollectedField?) {
        let ameError: AMEError
        switch error {
        case let error as AMEError: ameError = error
        case StoreError.conditionFailed: ameError = .conflict("the item was changed concurrently; retry")
        case StoreError.invalidRequest: ameError = .internalError  // a request AME built wrong
        case is StoreError: ameError = .storeUnavailable
        default: ameError = .internalError
        }
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
                if field.name == "__schema" || field.name == "__type" {
                    resolveIntrospection(field, into: root, slot: slot)
                    continue
                }
                if case .system(let system)? = engine.rootFields[field.name] {
                    await resolveSystemField(system, field, into: root, slot: slot)
                    continue
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
            for (slot, field) in fields.enumerated() where engine.nonNullQueryFields.contains(field.name) {
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

    // MARK: Levels

    /// The loads of one level and what to do with their results.
    struct Level {
        var keys: [TableKey] = []
        var queries: [@Sendable (StoreSession) async throws -> QueryOutcome] = []
        var fills: [(LevelResults) -> Void] = []
        var isEmpty: Bool { keys.isEmpty && queries.isEmpty && fills.isEmpty }

        mutating func query(_ body: @escaping @Sendable (StoreSession) async throws -> QueryOutcome) -> Int {
            queries.append(body)
            return queries.count - 1
        }
    }

    struct LevelResults {
        var items: [TableKey: Item] = [:]
        var queries: [Result<QueryOutcome, Error>] = []
        var batchError: Error?
    }

    /// The outcome of a list read: the page of items and how to continue.
    struct QueryOutcome: Sendable {
        var items: [Item]
        var lastEvaluatedKey: Item?
        var total: Int?
    }

    private func execute(_ level: Level) async {
        guard !level.isEmpty else { return }
        await withSpan("level") { span in
            span.attributes["ame.keys"] = level.keys.count
            span.attributes["ame.queries"] = level.queries.count
            await load(level)
        }
    }

    /// Runs one level's loads: its batch read and its Queries, concurrently.
    private func load(_ level: Level) async {
        var results = LevelResults()
        let session = self.session
        let keys = level.keys
        let queries = level.queries
        // A level of keys only (every belongsTo and `data` level) or of one Query (a root list)
        // awaits it directly: no child tasks to create.
        if queries.isEmpty || (keys.isEmpty && queries.count == 1) {
            do {
                if keys.isEmpty {
                    results.queries = [.success(try await queries[0](session))]
                } else {
                    results.items = try await session.cachedBatchGet(keys)
                }
            } catch {
                if keys.isEmpty { results.queries = [.failure(error)] } else { results.batchError = error }
            }
            for fill in level.fills { fill(results) }
            return
        }
        async let batch: [TableKey: Item] = keys.isEmpty ? [:] : session.cachedBatchGet(keys)
        let limit = engine.limits.maxConcurrentQueries
        let outcomes: [Result<QueryOutcome, Error>] = await withTaskGroup(of: (Int, Result<QueryOutcome, Error>).self) {
            group in
            // At most `limit` Queries in flight: a level with many parents does not flood the store.
            var outcomes = [Result<QueryOutcome, Error>?](repeating: nil, count: queries.count)
            let operation = { (index: Int) -> @Sendable () async -> (Int, Result<QueryOutcome, Error>) in
                let query = queries[index]
                return {
                    do { return (index, .success(try await query(session))) } catch { return (index, .failure(error)) }
                }
            }
            var next = 0
            while next < min(limit, queries.count) {
                group.addTask(operation: operation(next))
                next += 1
            }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                if next < queries.count {
                    group.addTask(operation: operation(next))
                    next += 1
                }
            }
            return outcomes.map { $0! }
        }
        do {
            results.items = try await batch
        } catch {
            results.batchError = error
        }
        results.queries = outcomes
        for fill in level.fills { fill(results) }
    }

    // MARK: Root query fields

    private func planRootQueryField(
        _ field: CollectedField, into root: ResultObject, slot: Int, level: inout Level
    )
        throws
    {
        guard let rootField = engine.rootFields[field.name] else {
            guard field.name == "__typename" else {
                throw AMEError.unresolvedField(type: rootTypeName, field: field.name)
            }
            root.values[slot] = .json(.string(rootTypeName))
            return
        }
        let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
        let path: [JSONValue] = [.string(field.responseKey)]
        switch rootField {
        case .ping:
            root.values[slot] = .json(.string("pong"))
        case .get(let entity):
            let lookup = try GetLookup(entity: entity, arguments: arguments)
            let children = try collector.collectChildren(of: field, typeName: entity.graphQLType)
            let table = engine.registry.physicalTable(entity.table)
            let fill = { [self] (item: Item?, prefetched: [TableKey: Item]?) in
                guard let item, lookup.accepts(item) else {
                    // A get names one row: its absence is an error the client should see.
                    return report(
                        AMEError.entityNotFound(type: entity.name, key: lookup.requested), path: path, field: field)
                }
                do {
                    let model = try entity.decode(item)
                    let object = ResultObject()
                    root.values[slot] = .object(object)
                    pendingWork.append(
                        EntityWork(
                            entity: entity, fields: children, entries: [Entry(model, object)], prefetched: prefetched))
                } catch {
                    report(error, path: path, field: field)
                }
            }
            switch lookup {
            case .key(let key, _):
                let tableKey = TableKey(table: table, key: ItemKey(partition: tenant.partitionKey, sort: key))
                level.keys.append(tableKey)
                let dataKey = selectsData(entity, children) ? activeDataKey(entity, id: key) : nil
                if let dataKey { level.keys.append(dataKey) }
                level.fills.append { [self] results in
                    if let error = results.batchError { return report(error, path: path, field: field) }
                    fill(results.items[tableKey], dataKey == nil ? nil : results.items)
                }
            case .unique(_, let index, let value):
                let request = QueryRequest(
                    table: table, index: index, partition: .string(tenant.partitionKey),
                    sortCondition: .equals(.string(value)), limit: 1)
                let position = level.query { session in
                    let page = try await session.query(request)
                    return QueryOutcome(items: page.items, lastEvaluatedKey: nil, total: nil)
                }
                level.fills.append { [self] results in
                    switch results.queries[position] {
                    case .failure(let error): report(error, path: path, field: field)
                    case .success(let outcome): fill(outcome.items.first, nil)
                    }
                }
            }
        case .list(let entity):
            let reader = try ListReader(entity: entity, arguments: arguments, engine: engine, tenant: tenant)
            let listFields = try collector.collectChildren(of: field, typeName: entity.graphQL.listType)
            let wantsTotal = listFields.contains { $0.name == "total" }
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
        case .upsert, .delete, .system:
            throw AMEError.badUserInput("`\(field.name)` is a mutation", field: nil)
        }
    }

    /// Builds a `…ListType` object and queues its entities for the next level. `nil` when an item
    /// cannot be decoded: its list (`[T!]!`) cannot hold a null, so the null propagates to the
    /// page itself (GraphQL spec §6.4.4).
    private func listObject(
        entity: EntityDefinition, fields: [CollectedField], outcome: QueryOutcome, pageSize: Int, pageNumber: Int?,
        tokenScope: String, path: @autoclosure () -> [JSONValue]
    ) -> ResultObject? {
        let object = ResultObject(capacity: fields.count)
        for field in fields {
            switch field.name {
            case entity.graphQL.listField:
                var entries: [Entry] = []
                var elements: [ResultValue] = []
                let children: [CollectedField]
                do {
                    children = try collector.collectChildren(of: field, typeName: entity.graphQLType)
                } catch {
                    // The list is non-null: its page is null.
                    report(error, path: path() + [.string(field.responseKey)], field: field)
                    return nil
                }
                for (position, item) in outcome.items.enumerated() {
                    do {
                        let model = try entity.decode(item)
                        let child = ResultObject()
                        entries.append(Entry(model, child))
                        elements.append(.object(child))
                    } catch {
                        report(error, path: path() + [.string(field.responseKey), .int(position)], field: field)
                        return nil
                    }
                }
                object.append(field.responseKey, .list(elements))
                if !entries.isEmpty {
                    pendingWork.append(EntityWork(entity: entity, fields: children, entries: entries))
                }
            case "pageSize": object.append(field.responseKey, .json(.int(pageSize)))
            case "pageNumber": object.append(field.responseKey, .json(pageNumber.map(JSONValue.int) ?? .null))
            case "total": object.append(field.responseKey, .json(outcome.total.map(JSONValue.int) ?? .null))
            case "nextToken":
                let token = outcome.lastEvaluatedKey.map {
                    engine.pageTokens.encode($0, tenant: tenant, scope: tokenScope)
                }
                object.append(field.responseKey, .json(token.map(JSONValue.string) ?? .null))
            case "__typename": object.append(field.responseKey, .json(.string(entity.graphQL.listType)))
            default:
                object.append(field.responseKey, .null)
                report(
                    AMEError.unresolvedField(type: entity.graphQL.listType, field: field.name),
                    path: path() + [.string(field.responseKey)], field: field)
            }
        }
        return object
    }

    // MARK: Entity objects

    /// Objects of one entity type sharing one selection, resolved together.
    struct EntityWork {
        let entity: EntityDefinition
        let fields: [CollectedField]
        var entries: [Entry]
        /// The results of the level that read the entries, when it read their active `data` too
        /// (their keys were known then): `data` is answered from them, with no level of its own.
        var prefetched: [TableKey: Item]? = nil
    }

    /// The key of the item that holds the active `data` of `entity`'s row `id`.
    private func activeDataKey(_ entity: EntityDefinition, id: String) -> TableKey? {
        guard let dataType = entity.dataType else { return nil }
        return TableKey(
            table: attributeTable,
            key: ItemKey(partition: tenant.partitionKey, sort: RuntimeTables.activeDataKey(dataType: dataType, id: id)))
    }

    /// Whether `fields` select `data` of `entity`: its key is known as soon as the row's is, so it
    /// is read in the same batch as the row, with no level of its own.
    private func selectsData(_ entity: EntityDefinition, _ fields: [CollectedField]) -> Bool {
        entity.dataType != nil && fields.contains { $0.name == "data" }
    }

    /// One object being resolved: its model and its result object.
    struct Entry {
        let model: any EntityModel
        let object: ResultObject

        init(_ model: any EntityModel, _ object: ResultObject) {
            self.model = model
            self.object = object
        }
    }

    /// Reports a field's error once per object it was selected on, as per-field execution does.
    private func report(_ error: Error, field: CollectedField, in entries: [Entry]) {
        let paths = paths(of: entries.map(\.object))
        for entry in entries {
            let path = paths[ObjectIdentifier(entry.object)] ?? []
            report(error, path: path + [.string(field.responseKey)], field: field)
        }
    }

    /// The response paths of `objects`, found by one walk of the result tree. Objects do not carry
    /// their paths (an allocation per object); errors are rare, so their paths are found when needed.
    private func paths(of objects: [ResultObject]) -> [ObjectIdentifier: [JSONValue]] {
        var wanted = Set(objects.map(ObjectIdentifier.init))
        var found: [ObjectIdentifier: [JSONValue]] = [:]
        var stack: [(ResultValue, [JSONValue])] = [(.object(root), [])]
        while let (value, path) = stack.popLast(), !wanted.isEmpty {
            switch value {
            case .json: continue
            case .object(let object):
                if wanted.remove(ObjectIdentifier(object)) != nil { found[ObjectIdentifier(object)] = path }
                for (key, child) in zip(object.keys, object.values) { stack.append((child, path + [.string(key)])) }
            case .list(let elements):
                for (index, element) in elements.enumerated() { stack.append((element, path + [.int(index)])) }
            }
        }
        return found
    }

    private func path(of object: ResultObject) -> [JSONValue] { paths(of: [object])[ObjectIdentifier(object)] ?? [] }

    /// Resolves the scalar fields of `work` now and plans its relation and `data` loads.
    private func plan(_ work: EntityWork, level: inout Level) {
        let entity = work.entity
        // Every object of the work has the same fields: they share one array of keys, and each
        // field fills its own slot.
        let keys = work.fields.map(\.responseKey)
        for entry in work.entries { entry.object.prepare(keys: keys) }
        for (slot, field) in work.fields.enumerated() {
            if field.name == "__typename" {
                for entry in work.entries { entry.object.values[slot] = .json(.string(entity.graphQLType)) }
                continue
            }
            if let index = entity.fieldIndex(graphQLName: field.name) {
                let definition = entity.fields[index]
                if let style = definition.jsonScalar {
                    for entry in work.entries {
                        entry.object.values[slot] = .json(JSONKeyCase.answer(entry.model.fieldValue(index), style))
                    }
                } else if case .object(let typeName, let objectFields) = definition.type {
                    let children: [CollectedField]
                    do {
                        children = try collector.collectChildren(of: field, typeName: typeName)
                    } catch {
                        // A field that fails is null in every object, with one error each.
                        report(error, field: field, in: work.entries)
                        continue
                    }
                    for entry in work.entries {
                        entry.object.values[slot] = project(
                            entry.model.fieldValue(index), typeName, objectFields, children)
                    }
                } else {
                    for entry in work.entries { entry.object.values[slot] = .json(entry.model.fieldValue(index)) }
                }
                continue
            }
            if field.name == "data", entity.dataType != nil {
                let entries = work.entries
                let targets = entries.compactMap { entry in
                    activeDataKey(entity, id: entry.model.keyValue).map { (entry.object, $0) }
                }
                let answer = { (results: [TableKey: Item]) in
                    for (object, tableKey) in targets {
                        guard let item = results[tableKey], case .map(let values)? = item["values"] else { continue }
                        object.values[slot] = .json(JSONKeyCase.answer(ItemValue.map(values).json, entity.dataKeys))
                    }
                }
                // Read with the entities when their keys were known then; else on the next level.
                if let prefetched = work.prefetched {
                    answer(prefetched)
                    continue
                }
                level.keys += targets.map(\.1)
                level.fills.append { [self] results in
                    if let error = results.batchError { return report(error, field: field, in: entries) }
                    answer(results.items)
                }
                continue
            }
            if let relationIndex = entity.relationIndex(graphQLName: field.name) {
                planRelation(work, field: field, slot: slot, relationIndex: relationIndex, level: &level)
            } else {
                report(
                    AMEError.unresolvedField(type: entity.graphQLType, field: field.name), field: field,
                    in: work.entries)
            }
        }
    }

    /// Plans the loads of a relation field, whose value goes to `slot` of every object (null until
    /// its load fills it, and null if the field fails).
    private func planRelation(
        _ work: EntityWork, field: CollectedField, slot: Int, relationIndex: Int, level: inout Level
    ) {
        let relation = work.entity.relations[relationIndex]
        guard let target = engine.entitiesByName[relation.target] else {
            return report(
                AMEError.unresolvedField(type: work.entity.graphQLType, field: field.name), field: field,
                in: work.entries)
        }
        let table = engine.registry.physicalTable(target.table)
        let entries = work.entries
        switch relation.kind {
        case .belongsTo:
            let selection: [CollectedField]
            do {
                selection = try collector.collectChildren(of: field, typeName: target.graphQLType)
            } catch {
                return report(error, field: field, in: entries)
            }
            var slots: [(Entry, TableKey)] = []
            // Decided once for the field, not per object.
            let readsData = selectsData(target, selection)
            for entry in entries {
                guard let key = entry.model.relationKey(relationIndex), !key.isEmpty else { continue }
                let tableKey = TableKey(table: table, key: ItemKey(partition: tenant.partitionKey, sort: key))
                level.keys.append(tableKey)
                if readsData, let dataKey = activeDataKey(target, id: key) { level.keys.append(dataKey) }
                slots.append((entry, tableKey))
            }
            guard !slots.isEmpty else { return }
            level.fills.append { [self] results in
                if let error = results.batchError { return report(error, field: field, in: slots.map(\.0)) }
                var decoded: [TableKey: any EntityModel] = [:]
                var children: [Entry] = []
                for (parent, tableKey) in slots {
                    let model: any EntityModel
                    if let cached = decoded[tableKey] {
                        model = cached
                    } else {
                        guard let item = results.items[tableKey] else { continue }
                        do {
                            model = try target.decode(item)
                        } catch {
                            report(error, field: field, in: [parent])
                            continue
                        }
                        decoded[tableKey] = model
                    }
                    let child = ResultObject()
                    parent.object.values[slot] = .object(child)
                    children.append(Entry(model, child))
                }
                if !children.isEmpty {
                    pendingWork.append(
                        EntityWork(
                            entity: target, fields: selection, entries: children,
                            prefetched: readsData ? results.items : nil))
                }
            }
        case .hasMany:
            let listFields: [CollectedField]
            let arguments: [String: JSONValue]
            do {
                listFields = try collector.collectChildren(of: field, typeName: target.graphQL.listType)
                arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            } catch {
                return report(error, field: field, in: entries)
            }
            let limit = arguments["limit"]?.intValue ?? engine.limits.defaultPageSize
            guard limit > 0, limit <= engine.limits.maxPageSize else {
                return report(
                    AMEError.badUserInput("`limit` must be between 1 and \(engine.limits.maxPageSize)", field: "limit"),
                    field: field, in: entries)
            }
            // A relation's token continues the page of one parent; the other parents start at
            // their first page.
            let token = arguments["nextToken"]?.stringValue
            let scopePrefix = "relation:\(work.entity.name).\(relation.name):"
            var tokenParent: (key: String, start: Item)?
            if let token {
                let parents = work.entries.compactMap { $0.model.relationKey(relationIndex) }
                let signer = engine.pageTokens
                let tenant = self.tenant
                tokenParent =
                    parents.lazy.compactMap { parent in
                        (try? signer.decode(token, tenant: tenant, scope: scopePrefix + parent)).map { (parent, $0) }
                    }.first
                if tokenParent == nil {
                    return report(
                        AMEError.badUserInput(
                            "`nextToken` was not issued for this relation (or to you); start again without it",
                            field: "nextToken"), field: field, in: entries)
                }
            }
            let wantsTotal = listFields.contains { $0.name == "total" }
            let partition = tenant.partitionKey
            for entry in entries {
                guard let key = entry.model.relationKey(relationIndex) else { continue }
                let request = QueryRequest(
                    table: table, index: relation.index, partition: .string(partition),
                    sortCondition: .equals(.string(key)),
                    limit: limit, exclusiveStartKey: tokenParent?.key == key ? tokenParent?.start : nil
                )
                let index = level.query { session in
                    let page = try await session.query(request)
                    var total: Int?
                    if wantsTotal { total = try await session.count(request) }
                    return QueryOutcome(items: page.items, lastEvaluatedKey: page.lastEvaluatedKey, total: total)
                }
                let object = entry.object
                level.fills.append { [self] results in
                    switch results.queries[index] {
                    case .failure(let error): report(error, field: field, in: [entry])
                    case .success(let outcome):
                        let page = listObject(
                            entity: target, fields: listFields, outcome: outcome, pageSize: limit, pageNumber: nil,
                            tokenScope: scopePrefix + key, path: path(of: entry.object) + [.string(field.responseKey)])
                        object.values[slot] = page.map(ResultValue.object) ?? .null
                    }
                }
            }
        }
    }

    /// Applies a sub-selection to a shared object type value (e.g. `address { city }`).
    private func project(
        _ value: JSONValue, _ typeName: String, _ objectFields: [ObjectFieldDefinition], _ children: [CollectedField]
    ) -> ResultValue {
        switch value {
        case .object(let source):
            let object = ResultObject(capacity: children.count)
            for child in children {
                if child.name == "__typename" {
                    object.append(child.responseKey, .json(.string(typeName)))
                } else {
                    object.append(child.responseKey, .json(source[child.name] ?? .null))
                }
            }
            return .object(object)
        case .array(let elements):
            return .list(elements.map { project($0, typeName, objectFields, children) })
        default:
            return .null
        }
    }

    // MARK: Mutations

    private func resolveMutation(_ field: CollectedField, into root: ResultObject, slot: Int) async throws {
        guard let rootField = engine.rootFields[field.name] else {
            guard field.name == "__typename" else {
                throw AMEError.unresolvedField(type: rootTypeName, field: field.name)
            }
            root.values[slot] = .json(.string(rootTypeName))
            return
        }
        let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
        let path: [JSONValue] = [.string(field.responseKey)]
        let writer = WritePath(engine: engine, tenant: tenant, session: session)
        switch rootField {
        case .upsert(let entity):
            let model = try await writer.upsert(entity, arguments: arguments)
            let payloadFields = try collector.collectChildren(of: field, typeName: entity.graphQL.upsertPayload)
            let payload = ResultObject(capacity: payloadFields.count)
            for payloadField in payloadFields {
                switch payloadField.name {
                case entity.graphQL.getField:
                    let children = try collector.collectChildren(of: payloadField, typeName: entity.graphQLType)
                    let object = ResultObject()
                    payload.append(payloadField.responseKey, .object(object))
                    pendingWork.append(
                        EntityWork(
                            entity: entity, fields: children,
                            entries: [Entry(model, object)]))
                case "__typename":
                    payload.append(payloadField.responseKey, .json(.string(entity.graphQL.upsertPayload)))
                default:
                    payload.append(payloadField.responseKey, .null)
                    report(
                        AMEError.unresolvedField(type: entity.graphQL.upsertPayload, field: payloadField.name),
                        path: path + [.string(payloadField.responseKey)], field: payloadField)
                }
            }
            root.values[slot] = .object(payload)
        case .delete(let entity):
            try await writer.delete(entity, arguments: arguments)
            let payloadFields = try collector.collectChildren(of: field, typeName: entity.graphQL.deletePayload)
            let payload = ResultObject(capacity: payloadFields.count)
            for payloadField in payloadFields {
                switch payloadField.name {
                case "ok": payload.append(payloadField.responseKey, .json(.bool(true)))
                case "__typename":
                    payload.append(payloadField.responseKey, .json(.string(entity.graphQL.deletePayload)))
                default:
                    payload.append(payloadField.responseKey, .null)
                    report(
                        AMEError.unresolvedField(type: entity.graphQL.deletePayload, field: payloadField.name),
                        path: path + [.string(payloadField.responseKey)], field: payloadField)
                }
            }
            root.values[slot] = .object(payload)
        case .ping:
            root.values[slot] = .json(.string("pong"))
        case .system(let system):
            await resolveSystemField(system, field, into: root, slot: slot)
        case .get, .list:
            throw AMEError.badUserInput("`\(field.name)` is a query", field: nil)
        }
    }

    // MARK: Introspection

    /// Whether the operation selects `__schema` or `__type`.
    func selectsIntrospection() throws(AMEError) -> Bool {
        try collector.collect(operation.selectionSet, typeName: rootTypeName).contains {
            $0.name == "__schema" || $0.name == "__type"
        }
    }

    /// Resolves a root `__schema` or `__type` field from the engine's ``Introspection``.
    private func resolveIntrospection(_ field: CollectedField, into root: ResultObject, slot: Int) {
        let path: [JSONValue] = [.string(field.responseKey)]
        do {
            let node: Introspection.Node?
            if field.name == "__schema" {
                node = .schema
            } else {
                let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
                guard let name = arguments["name"]?.stringValue else {
                    throw AMEError.badUserInput("`__type` needs `name`", field: "name")
                }
                node = engine.schema.typeMap[name].map { .type($0) }
            }
            guard let node else { return }
            root.values[slot] = try introspectionObject(
                node, fields: collector.collectChildren(of: field, typeName: node.typeName), path: path)
        } catch {
            report(error, path: path, field: field)
        }
    }

    /// One introspection object with its selected fields; a field that fails is null with its error.
    private func introspectionObject(
        _ node: Introspection.Node, fields: [CollectedField], path: [JSONValue]
    ) -> ResultValue {
        let object = ResultObject(capacity: fields.count)
        for field in fields {
            let slot = object.append(field.responseKey, .null)
            let fieldPath = path + [.string(field.responseKey)]
            if field.name == "__typename" {
                object.values[slot] = .json(.string(node.typeName))
                continue
            }
            do {
                let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
                switch try engine.introspection.value(of: node, field: field.name, arguments: arguments) {
                case .leaf(let value):
                    object.values[slot] = .json(value)
                case .node(let child?):
                    let children = try collector.collectChildren(of: field, typeName: child.typeName)
                    object.values[slot] = introspectionObject(child, fields: children, path: fieldPath)
                case .nodes(let elements?):
                    // The elements of a list are of one introspection type: one selection for all.
                    let children =
                        try elements.first.map {
                            try collector.collectChildren(of: field, typeName: $0.typeName)
                        } ?? []
                    object.values[slot] = .list(
                        elements.enumerated().map { index, element in
                            introspectionObject(element, fields: children, path: fieldPath + [.int(index)])
                        })
                case .node(nil), .nodes(nil):
                    break
                }
            } catch {
                report(error, path: fieldPath, field: field)
            }
        }
        return .object(object)
    }
}
