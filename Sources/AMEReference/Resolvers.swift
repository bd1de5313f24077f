import AMERuntime
import GraphQL

/// The per-field resolvers of the reference execution, built from the schema registry.
struct Resolvers {
    let registry: SchemaRegistry
    let defaultPageSize: Int
    /// The largest `limit` AME accepts (`QueryLimits.maxPageSize`).
    let maxPageSize = QueryLimits().maxPageSize
    /// The name of the root mutation type.
    let mutationType: String

    func resolver(type: String, field: String) -> GraphQLFieldResolve? {
        if type == "Query" { return rootResolver(field) }
        if type == mutationType {
            return { _, _, _, _ in throw ReferenceError.unsupported("mutations") }
        }
        for entity in registry.entities {
            if type == entity.graphQLType { return entityResolver(entity, field) }
            if type == entity.graphQL.listType { return listResolver(entity, field) }
        }
        return nil
    }

    // MARK: Roots

    private func rootResolver(_ field: String) -> GraphQLFieldResolve? {
        if field == "ping" { return { _, _, _, _ in Map.string("pong") } }
        for entity in registry.entities {
            if field == entity.graphQL.getField {
                return { _, args, context, _ in
                    try await get(entity, arguments: args.json, context: context as! RequestContext)
                }
            }
            if field == entity.graphQL.listField {
                return { _, args, context, _ in
                    try await list(entity, arguments: args.json, context: context as! RequestContext)
                }
            }
        }
        return { _, _, _, _ in throw ReferenceError.unsupported("the root field `\(field)`") }
    }

    /// A get, the plain way: by its key when the key is given (one GetItem, through the batch
    /// window when there is one), else the arguments are compared with every row of the partition.
    private func get(
        _ entity: EntityDefinition, arguments: JSONValue, context: RequestContext
    ) async throws
        -> EntityNode
    {
        let attributes: [String]
        switch entity.get {
        case .key: attributes = [entity.keyAttribute]
        case .oneOf(let names), .allOf(let names): attributes = names
        }
        var wanted: [(Int, String)] = []
        for attribute in attributes {
            guard let index = entity.fields.firstIndex(where: { $0.attribute == attribute }),
                let value = arguments[entity.fields[index].graphQLName]?.stringValue
            else { continue }
            wanted.append((index, value))
        }
        let keyIndex = entity.fields.firstIndex { $0.attribute == entity.keyAttribute }
        let requested = (wanted.first { $0.0 == keyIndex } ?? wanted.first)?.1 ?? ""
        if case .oneOf = entity.get, wanted.count != 1 {
            throw ReferenceError.unsupported("a `one_of` get without exactly one argument")
        }
        if let key = wanted.first(where: { $0.0 == keyIndex })?.1 {
            guard let item = try await context.item(table: entity.table, key: key) else {
                throw AMEError.entityNotFound(type: entity.name, key: requested)
            }
            let model = try entity.decode(item)
            guard wanted.allSatisfy({ model.fieldValue($0.0).stringValue == $0.1 }) else {
                throw AMEError.entityNotFound(type: entity.name, key: requested)
            }
            return EntityNode(entity: entity, model: model)
        }
        var cursor: Item?
        repeat {
            let page = try await context.session.query(
                QueryRequest(
                    table: registry.physicalTable(entity.table), partition: .string(context.tenant.partitionKey),
                    limit: StoreLimits.queryPageItems, exclusiveStartKey: cursor))
            for item in page.items {
                let model = try entity.decode(item)
                if wanted.allSatisfy({ model.fieldValue($0.0).stringValue == $0.1 }) {
                    return EntityNode(entity: entity, model: model)
                }
            }
            cursor = page.lastEvaluatedKey
        } while cursor != nil
        throw AMEError.entityNotFound(type: entity.name, key: requested)
    }

    /// A root list, read the plain way: the whole partition in key order, filtered in memory, then
    /// the page cut out of the matches.
    private func list(
        _ entity: EntityDefinition, arguments: JSONValue, context: RequestContext
    ) async throws
        -> ListNode
    {
        let limit = arguments["limit"]?.intValue ?? defaultPageSize
        guard limit > 0, limit <= maxPageSize else {
            throw AMEError.badUserInput("`limit` must be between 1 and \(maxPageSize)", field: "limit")
        }
        guard arguments["nextToken"]?.isNull ?? true else { throw ReferenceError.unsupported("`nextToken`") }
        let pageNumber = arguments["pageNumber"]?.intValue ?? 1
        guard pageNumber >= 1 else {
            throw AMEError.badUserInput("`pageNumber` must be 1 or more", field: "pageNumber")
        }
        var equal: [(Int, JSONValue)] = []
        var containing: [(Int, String)] = []
        for (index, field) in entity.fields.enumerated() where !field.isImplicit && field.type.isScalar {
            if let value = arguments[field.graphQLName], !value.isNull { equal.append((index, value)) }
            if let text = arguments[field.graphQLName + "Contains"]?.stringValue { containing.append((index, text)) }
        }
        // Declared filters, compared with the answered values.
        let declared: [(Int, ListFilterDefinition, JSONValue)] = entity.filters.compactMap { filter in
            guard let value = arguments[filter.argument], !value.isNull,
                let index = entity.fields.firstIndex(where: { $0.attribute == filter.attribute })
            else { return nil }
            return (index, filter, value)
        }
        var matches: [EntityNode] = []
        var cursor: Item?
        repeat {
            let page = try await context.session.query(
                QueryRequest(
                    table: registry.physicalTable(entity.table), partition: .string(context.tenant.partitionKey),
                    limit: StoreLimits.queryPageItems, exclusiveStartKey: cursor))
            for item in page.items {
                let model = try entity.decode(item)
                let matched =
                    equal.allSatisfy { model.fieldValue($0.0) == $0.1 }
                    && containing.allSatisfy { model.fieldValue($0.0).stringValue?.contains($0.1) ?? false }
                    && declared.allSatisfy { Self.matches(model.fieldValue($0.0), $0.1.match, $0.2) }
                if matched { matches.append(EntityNode(entity: entity, model: model)) }
            }
            cursor = page.lastEvaluatedKey
        } while cursor != nil
        let start = min(matches.count, (pageNumber - 1) * limit)
        let end = min(matches.count, start + limit)
        return ListNode(
            entity: entity, items: Array(matches[start..<end]), pageSize: limit, pageNumber: pageNumber,
            hasMore: end < matches.count, total: matches.count, countRequest: nil)
    }

    /// A declared filter, applied to a field's answered value.
    static func matches(_ value: JSONValue, _ match: ListFilterDefinition.Match, _ wanted: JSONValue) -> Bool {
        switch match {
        case .equals: return value == wanted
        case .oneOf: return wanted.arrayValue.contains(value) || value == wanted
        case .member: return value.arrayValue.contains(wanted)
        case .contains:
            guard let text = wanted.stringValue else { return false }
            func contains(_ value: JSONValue) -> Bool {
                switch value {
                case .string(let stored): stored.contains(text)
                case .object(let object): object.values.contains(where: contains)
                case .array(let elements): elements.contains(where: contains)
                default: false
                }
            }
            return contains(value)
        }
    }

    // MARK: Entity fields

    private func entityResolver(_ entity: EntityDefinition, _ field: String) -> GraphQLFieldResolve? {
        if let index = entity.fieldIndex(graphQLName: field), let style = entity.fields[index].jsonScalar {
            return { source, _, _, _ in
                let value = JSONKeyCase.answer((source as! EntityNode).model.fieldValue(index), style)
                return value.isNull ? nil : value.map
            }
        }
        if let index = entity.fieldIndex(graphQLName: field) {
            let type = entity.fields[index].type
            return { source, _, _, _ in Self.output((source as! EntityNode).model.fieldValue(index), type) }
        }
        if field == "data", let dataType = entity.dataType {
            return { source, _, context, _ in
                let node = source as! EntityNode
                let item = try await (context as! RequestContext).item(
                    table: RuntimeTables.attributeValues,
                    key: RuntimeTables.activeDataKey(dataType: dataType, id: node.model.keyValue))
                guard case .map(let values)? = item?["values"] else { return nil }
                return JSONKeyCase.answer(ItemValue.map(values).json, entity.dataKeys).map
            }
        }
        guard let relationIndex = entity.relationIndex(graphQLName: field),
            let target = registry.entity(named: entity.relations[relationIndex].target)
        else { return nil }
        let relation = entity.relations[relationIndex]
        switch relation.kind {
        case .belongsTo:
            return { source, _, context, _ in
                guard let key = (source as! EntityNode).model.relationKey(relationIndex), !key.isEmpty,
                    let item = try await (context as! RequestContext).item(table: target.table, key: key)
                else { return nil }
                return EntityNode(entity: target, model: try target.decode(item))
            }
        case .hasMany:
            let defaultPageSize = defaultPageSize
            let maxPageSize = maxPageSize
            let table = registry.physicalTable(target.table)
            return { source, args, context, _ in
                let context = context as! RequestContext
                let arguments = args.json
                let limit = arguments["limit"]?.intValue ?? defaultPageSize
                guard limit > 0, limit <= maxPageSize else {
                    throw AMEError.badUserInput("`limit` must be between 1 and \(maxPageSize)", field: "limit")
                }
                guard arguments["nextToken"]?.isNull ?? true else { throw ReferenceError.unsupported("`nextToken`") }
                guard let key = (source as! EntityNode).model.relationKey(relationIndex) else { return nil }
                let request = QueryRequest(
                    table: table, index: relation.index, partition: .string(context.tenant.partitionKey),
                    sortCondition: .equals(.string(key)), limit: limit)
                let page = try await context.session.query(request)
                return ListNode(
                    entity: target,
                    items: try page.items.map { EntityNode(entity: target, model: try target.decode($0)) },
                    pageSize: limit, pageNumber: nil, hasMore: page.lastEvaluatedKey != nil, total: nil,
                    countRequest: request)
            }
        }
    }

    // MARK: List fields

    private func listResolver(_ entity: EntityDefinition, _ field: String) -> GraphQLFieldResolve? {
        switch field {
        case entity.graphQL.listField:
            return { source, _, _, _ in (source as! ListNode).items.map { $0 as (any Sendable)? } }
        case "pageSize": return { source, _, _, _ in Map.int((source as! ListNode).pageSize) }
        case "pageNumber":
            return { source, _, _, _ in
                guard let number = (source as! ListNode).pageNumber else { return nil }
                return Map.int(number)
            }
        case "nextToken":
            // AME's tokens are signed with a per-process key: only their presence is compared.
            return { source, _, _, _ in
                guard (source as! ListNode).hasMore else { return nil }
                return Map.string(ReferenceExecutor.tokenMark)
            }
        case "total":
            return { source, _, context, _ in
                let node = source as! ListNode
                if let total = node.total { return Map.int(total) }
                guard let request = node.countRequest else { return nil }
                return Map.int(try await (context as! RequestContext).session.count(request))
            }
        default: return nil
        }
    }

    /// A stored field value as GraphQLSwift's executor expects it: scalars as `Map`, lists as
    /// arrays, shared objects as dictionaries its default resolver reads.
    static func output(_ value: JSONValue, _ type: ValueType) -> (any Sendable)? {
        switch (value, type) {
        case (.null, _): return nil
        case (_, .json): return value.map
        case (.array(let elements), .list(let element)):
            return elements.map { output($0, element) }
        case (.object(let object), .object(_, let fields)):
            var dictionary: [String: any Sendable] = [:]
            for field in fields {
                if let member = object[field.graphQLName], let converted = output(member, field.type) {
                    dictionary[field.graphQLName] = converted
                }
            }
            return dictionary
        default: return value.map
        }
    }
}

extension ReferenceExecutor {
    /// What the reference answers for a `nextToken` when there is a next page.
    public static let tokenMark = "<next page>"
}

enum ReferenceError: Error, CustomStringConvertible {
    case unsupported(String)

    var description: String {
        switch self {
        case .unsupported(let what): "the reference execution does not cover \(what)"
        }
    }
}

extension ValueType {
    /// A scalar stored value (the fields that list equality arguments exist for).
    var isScalar: Bool {
        switch self {
        case .string, .int, .float, .boolean: true
        case .json, .list, .object: false
        }
    }
}
