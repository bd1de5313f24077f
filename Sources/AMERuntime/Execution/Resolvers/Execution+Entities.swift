/// Entity objects: scalar fields copied from the typed models, `data`, and the relation fields
/// that add their keys and Queries to the next level; pages (`…ListType`) of entities.
extension Execution {
    /// Builds a `…ListType` object and queues its entities for the next level. `nil` when an item
    /// cannot be decoded: its list (`[T!]!`) cannot hold a null, so the null propagates to the
    /// page itself (GraphQL spec §6.4.4).
    func listObject(
        entity: EntityDefinition, fields: [CollectedField], outcome: QueryOutcome, pageSize: Int, pageNumber: Int?,
        tokenScope: String, path: @autoclosure () -> [JSONValue]
    ) -> ResultObject? {
        let object = ResultObject(capacity: fields.count)
        for field in fields {
            switch field.plan {
            case .items:
                var entries: [Entry] = []
                var elements: [ResultValue] = []
                let children: [CollectedField]
                do {
                    children = try collector.collectChildren(of: field)
                } catch {
                    // The list is non-null: its page is null.
                    report(error, path: path() + [.string(field.responseKey)], field: field)
                    return nil
                }
                let rows = ResultRows(keys: children.map(\.responseKey), count: outcome.items.count)
                entries.reserveCapacity(outcome.items.count)
                elements.reserveCapacity(outcome.items.count)
                for (position, item) in outcome.items.enumerated() {
                    do {
                        let model = try entity.decode(item)
                        entries.append(Entry(model, rows.row(position)))
                        elements.append(.row(rows, position))
                    } catch {
                        report(error, path: path() + [.string(field.responseKey), .int(position)], field: field)
                        return nil
                    }
                }
                object.append(field.responseKey, .list(elements))
                if !entries.isEmpty {
                    pendingWork.append(EntityWork(entity: entity, fields: children, entries: entries))
                }
            case .pageSize: object.append(field.responseKey, .json(.int(pageSize)))
            case .pageNumber: object.append(field.responseKey, .json(pageNumber.map(JSONValue.int) ?? .null))
            case .total: object.append(field.responseKey, .json(outcome.total.map(JSONValue.int) ?? .null))
            case .nextToken:
                let token = outcome.lastEvaluatedKey.map {
                    engine.pageTokens.encode($0, tenant: tenant, scope: tokenScope)
                }
                object.append(field.responseKey, .json(token.map(JSONValue.string) ?? .null))
            case .typename(let name): object.append(field.responseKey, .json(.string(name)))
            default:
                object.append(field.responseKey, .null)
                report(
                    AMEError.unresolvedField(type: entity.graphQL.listType, field: field.name),
                    path: path() + [.string(field.responseKey)], field: field)
            }
        }
        return object
    }

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
    func activeDataKey(_ entity: EntityDefinition, id: String) -> TableKey? {
        guard let dataType = entity.dataType else { return nil }
        return TableKey(
            table: attributeTable,
            key: ItemKey(partition: tenant.partitionKey, sort: RuntimeTables.activeDataKey(dataType: dataType, id: id)))
    }

    /// One object being resolved: its model and its result object.
    struct Entry {
        let model: any EntityModel
        let object: ResultRow

        init(_ model: any EntityModel, _ object: ResultRow) {
            self.model = model
            self.object = object
        }
    }

    /// Reports a field's error once per object it was selected on, as per-field execution does.
    func report(_ error: Error, field: CollectedField, in entries: [Entry]) {
        let paths = paths(of: entries.map(\.object))
        for entry in entries {
            let path = paths[entry.object] ?? []
            report(error, path: path + [.string(field.responseKey)], field: field)
        }
    }

    /// The response paths of `objects`, found by one walk of the result tree. Objects do not carry
    /// their paths (an allocation per object); errors are rare, so their paths are found when needed.
    func paths(of objects: [ResultRow]) -> [ResultRow: [JSONValue]] {
        var wanted = Set(objects)
        var found: [ResultRow: [JSONValue]] = [:]
        var stack: [(ResultValue, [JSONValue])] = [(.object(root), [])]
        while let (value, path) = stack.popLast(), !wanted.isEmpty {
            switch value {
            case .json: continue
            case .object(let object):
                for (key, child) in zip(object.keys, object.values) { stack.append((child, path + [.string(key)])) }
            case .row(let rows, let index):
                let row = rows.row(index)
                if wanted.remove(row) != nil { found[row] = path }
                for slot in rows.keys.indices { stack.append((rows[index, slot], path + [.string(rows.keys[slot])])) }
            case .list(let elements):
                for (index, element) in elements.enumerated() { stack.append((element, path + [.int(index)])) }
            }
        }
        return found
    }

    func path(of object: ResultRow) -> [JSONValue] { paths(of: [object])[object] ?? [] }

    /// Resolves the scalar fields of `work` now and plans its relation and `data` loads.
    func plan(_ work: EntityWork, level: inout Level) {
        let entity = work.entity
        // Every object of the work has the same fields (its rows were made with their keys), and
        // each field fills its own slot.
        for (slot, field) in work.fields.enumerated() {
            switch field.plan {
            case .typename(let name):
                for entry in work.entries { entry.object[slot] = .json(.string(name)) }
            case .field(let index):
                let definition = entity.fields[index]
                if let style = definition.jsonScalar {
                    for entry in work.entries {
                        entry.object[slot] = .json(JSONKeyCase.answer(entry.model.fieldValue(index), style))
                    }
                } else if case .object = definition.type {
                    let children: [CollectedField]
                    do {
                        children = try collector.collectChildren(of: field)
                    } catch {
                        // A field that fails is null in every object, with one error each.
                        report(error, field: field, in: work.entries)
                        continue
                    }
                    for entry in work.entries {
                        entry.object[slot] = project(entry.model.fieldValue(index), children)
                    }
                } else {
                    for entry in work.entries { entry.object[slot] = .json(entry.model.fieldValue(index)) }
                }
            case .data:
                let entries = work.entries
                let targets = entries.compactMap { entry in
                    activeDataKey(entity, id: entry.model.keyValue).map { (entry.object, $0) }
                }
                let answer = { (results: [TableKey: Item]) in
                    for (object, tableKey) in targets {
                        guard let item = results[tableKey], case .map(let values)? = item["values"] else { continue }
                        object[slot] = .json(JSONKeyCase.answer(ItemValue.map(values).json, entity.dataKeys))
                    }
                }
                // Read with the entities when their keys were known then; else on the next level.
                if let prefetched = work.prefetched {
                    answer(prefetched)
                    continue
                }
                level.keys += targets.map(\.1)
                level.reads(attributeTable, nil)
                level.fills.append { [self] results in
                    if let error = results.batchError { return report(error, field: field, in: entries) }
                    answer(results.items)
                }
            case .belongsTo(let relation, let target):
                planBelongsTo(work, field: field, slot: slot, relationIndex: relation, target: target, level: &level)
            case .hasMany(let relation, let target):
                planHasMany(work, field: field, slot: slot, relationIndex: relation, target: target, level: &level)
            default:
                report(
                    AMEError.unresolvedField(type: entity.graphQLType, field: field.name), field: field,
                    in: work.entries)
            }
        }
    }

    /// Plans the load of a belongsTo field: every object's target key joins the level's batch
    /// read. Its value goes to `slot` of every object (null until the load fills it, and null if
    /// the field fails).
    func planBelongsTo(
        _ work: EntityWork, field: CollectedField, slot: Int, relationIndex: Int, target: EntityDefinition,
        level: inout Level
    ) {
        let table = engine.registry.physicalTable(target.table)
        let entries = work.entries
        let selection: [CollectedField]
        do {
            selection = try collector.collectChildren(of: field)
        } catch {
            return report(error, field: field, in: entries)
        }
        var slots: [(Entry, TableKey)] = []
        // Decided once for the field, not per object.
        let readsData = selection.selectsData
        let partition = tenant.partitionKey
        for entry in entries {
            guard let key = entry.model.relationKey(relationIndex), !key.isEmpty else { continue }
            let tableKey = TableKey(table: table, key: ItemKey(partition: partition, sort: key))
            level.keys.append(tableKey)
            if readsData, let dataKey = activeDataKey(target, id: key) { level.keys.append(dataKey) }
            slots.append((entry, tableKey))
        }
        guard !slots.isEmpty else { return }
        level.reads(table, target.projection(for: selection))
        if readsData { level.reads(attributeTable, nil) }
        level.fills.append { [self] results in
            if let error = results.batchError { return report(error, field: field, in: slots.map(\.0)) }
            var decoded: [TableKey: any EntityModel] = [:]
            var found: [(parent: Entry, model: any EntityModel)] = []
            found.reserveCapacity(slots.count)
            for (parent, tableKey) in slots {
                if let cached = decoded[tableKey] {
                    found.append((parent, cached))
                    continue
                }
                guard let item = results.items[tableKey] else { continue }
                do {
                    let model = try target.decode(item)
                    decoded[tableKey] = model
                    found.append((parent, model))
                } catch {
                    report(error, field: field, in: [parent])
                }
            }
            // One block of rows for every object the field fills.
            let rows = ResultRows(keys: selection.map(\.responseKey), count: found.count)
            var children: [Entry] = []
            children.reserveCapacity(found.count)
            for (position, (parent, model)) in found.enumerated() {
                parent.object[slot] = .row(rows, position)
                children.append(Entry(model, rows.row(position)))
            }
            if !children.isEmpty {
                pendingWork.append(
                    EntityWork(
                        entity: target, fields: selection, entries: children,
                        prefetched: readsData ? results.items : nil))
            }
        }
    }

    /// Plans the loads of a hasMany field: one Query per object, all of them in the level.
    func planHasMany(
        _ work: EntityWork, field: CollectedField, slot: Int, relationIndex: Int, target: EntityDefinition,
        level: inout Level
    ) {
        let relation = work.entity.relations[relationIndex]
        let table = engine.registry.physicalTable(target.table)
        let entries = work.entries
        let listFields: [CollectedField]
        let arguments: [String: JSONValue]
        let projection: ReadProjection
        do {
            listFields = try collector.collectChildren(of: field)
            arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            // The relation's attribute is what a global index's entries are checked against.
            projection = try itemProjection(target, listFields, extra: [relation.viaAttribute])
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
        let wantsTotal = listFields.selectsTotal
        let partition = tenant.partitionKey
        // A global index (of the tenant alone) is eventually consistent: its entries are read
        // again by key, and kept only while they still belong to the parent.
        let definition = TableDefinition(name: table, sortAttribute: target.keyAttribute, indexes: target.indexes)
        let isGlobal = relation.index.flatMap(definition.index(named:))?.isGlobal ?? false
        let via = relation.viaAttribute
        for entry in entries {
            guard let key = entry.model.relationKey(relationIndex) else { continue }
            let request = QueryRequest(
                table: table, index: relation.index, partition: .string(partition),
                sortCondition: .equals(.string(key)),
                limit: limit, exclusiveStartKey: tokenParent?.key == key ? tokenParent?.start : nil,
                projection: projection
            )
            let index = level.query { session in
                let page: (items: [Item], lastEvaluatedKey: Item?)
                if isGlobal {
                    page = try await session.currentPage(
                        request, in: definition, tenant: partition,
                        belongs: { WritePath.sameValue($0[via], .string(key)) })
                } else {
                    let result = try await session.query(request)
                    page = (result.items, result.lastEvaluatedKey)
                }
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
                    object[slot] = page.map(ResultValue.object) ?? .null
                }
            }
        }
    }

    /// What a page's items are read for: the union over the page's `items` fields (several
    /// when aliased) of what their selections read.
    func itemProjection(
        _ entity: EntityDefinition, _ listFields: [CollectedField], extra: [String] = []
    )
        throws(AMEError) -> ReadProjection
    {
        var selected: [CollectedField] = []
        for field in listFields {
            if case .items = field.plan { selected += try collector.collectChildren(of: field) }
        }
        return entity.projection(for: selected, extra: extra)
    }

    /// Applies a sub-selection to a shared object type value (e.g. `address { city }`).
    func project(_ value: JSONValue, _ children: [CollectedField]) -> ResultValue {
        switch value {
        case .object(let source):
            let object = ResultObject(capacity: children.count)
            for child in children {
                switch child.plan {
                case .typename(let name): object.append(child.responseKey, .json(.string(name)))
                case .member(let key): object.append(child.responseKey, .json(source[key] ?? .null))
                default: object.append(child.responseKey, .null)
                }
            }
            return .object(object)
        case .array(let elements):
            return .list(elements.map { project($0, children) })
        default:
            return .null
        }
    }
}
