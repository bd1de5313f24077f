/// The runtime's own API over its tables, present in every schema: versions of dynamic
/// attributes (`attributeValue…`) and the audit trail (`activityHistory…`).
enum SystemRoot: String, CaseIterable {
    case attributeValue
    case attributeValueList
    case activityHistory
    case activityHistoryList
    case insertUpdateAttributeValue
    case deleteAttributeValue
    case insertActivityHistory

    var isMutation: Bool {
        switch self {
        case .insertUpdateAttributeValue, .deleteAttributeValue, .insertActivityHistory: true
        default: false
        }
    }

    /// The GraphQL type the field's selection applies to, and its list multiplier.
    func childType(limit: Int) -> (String, Int) {
        switch self {
        case .attributeValue: ("AttributeValueType", 1)
        case .attributeValueList: ("AttributeValueListType", limit)
        case .activityHistory: ("ActivityHistoryType", 1)
        case .activityHistoryList: ("ActivityHistoryListType", limit)
        case .insertUpdateAttributeValue: ("InsertUpdateAttributeValue", 1)
        case .deleteAttributeValue: ("DeleteAttributeValue", 1)
        case .insertActivityHistory: ("InsertActivityHistory", 1)
        }
    }
}

extension SystemRoot {
    /// The object type inside a system type's field (`attributeValueList` → `AttributeValueType`).
    static func childType(parent: String, field: String) -> String? {
        switch (parent, field) {
        case ("AttributeValueListType", "attributeValueList"), ("InsertUpdateAttributeValue", "attributeValue"):
            "AttributeValueType"
        case ("ActivityHistoryListType", "activityHistoryList"), ("InsertActivityHistory", "activityHistory"):
            "ActivityHistoryType"
        default: nil
        }
    }
}

/// Stored items of the runtime's tables as GraphQL values.
enum SystemRecords {
    static func attributeValue(_ item: Item) -> JSONValue {
        .object(
            JSONObject([
                ("valueVersionUuid", item["value_version_uuid"]?.json ?? .null),
                ("dataTypeAttributeName", item["data_type_attribute_name"]?.json ?? .null),
                ("dataType", item["data_type"]?.json ?? .null),
                ("attributeName", item["attribute_name"]?.json ?? .null),
                ("dataIdentity", item["data_identity"]?.json ?? .null),
                ("value", item["value"]?.json ?? .null),
                ("status", item["status"]?.json ?? .null),
                ("updatedBy", item["updated_by"]?.json ?? .null),
                ("createdAt", item["created_at"]?.json ?? .null),
                ("updatedAt", item["updated_at"]?.json ?? .null),
            ]))
    }

    static func activityHistory(_ item: Item) -> JSONValue {
        .object(
            JSONObject([
                ("id", item["id"]?.json ?? .null),
                ("type", item["type"]?.json ?? .null),
                ("timestamp", item["timestamp"]?.json ?? .null),
                ("log", item["log"]?.json ?? .null),
                ("dataDiff", item["data_diff"]?.json ?? .null),
                ("updatedBy", item["updated_by"]?.json ?? .null),
            ]))
    }
}

extension Execution {
    /// Resolves a system root field and applies the query's selection to it.
    func resolveSystemField(_ root: SystemRoot, _ field: CollectedField, into object: ResultObject, slot: Int) async {
        do {
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            let value = try await resolveSystem(root, arguments)
            object.values[slot] = try select(value, field: field, typeName: root.childType(limit: 1).0)
        } catch {
            report(error, path: [.string(field.responseKey)], field: field)
        }
    }

    /// Applies a field's selection to a JSON value of a system type, recursively.
    private func select(_ value: JSONValue, field: CollectedField, typeName: String) throws(AMEError) -> ResultValue {
        switch value {
        case .array(let elements):
            var results: [ResultValue] = []
            for element in elements { results.append(try select(element, field: field, typeName: typeName)) }
            return .list(results)
        case .object(let source):
            let children = try collector.collectChildren(of: field, typeName: typeName)
            let object = ResultObject(capacity: children.count)
            for child in children {
                if child.name == "__typename" {
                    object.append(child.responseKey, .json(.string(typeName)))
                } else if let childType = SystemRoot.childType(parent: typeName, field: child.name),
                    let nested = source[child.name], !nested.isNull
                {
                    object.append(child.responseKey, try select(nested, field: child, typeName: childType))
                } else {
                    object.append(child.responseKey, .json(source[child.name] ?? .null))
                }
            }
            return .object(object)
        default:
            return .json(value)
        }
    }

    /// Resolves a system root field to its JSON value (queries and mutations alike).
    func resolveSystem(_ root: SystemRoot, _ arguments: [String: JSONValue]) async throws -> JSONValue {
        let writer = WritePath(engine: engine, tenant: tenant, session: session)
        let values = engine.registry.physicalTable(RuntimeTables.attributeValues)
        let history = engine.registry.physicalTable(RuntimeTables.activityHistory)
        let partition = ItemValue.string(tenant.partitionKey)
        func string(_ name: String) throws(AMEError) -> String {
            guard let value = arguments[name]?.stringValue, !value.isEmpty else {
                throw AMEError.badUserInput("`\(name)` is required", field: name)
            }
            return value
        }
        let limit = arguments["limit"]?.intValue ?? engine.limits.defaultPageSize
        guard limit > 0, limit <= engine.limits.maxPageSize else {
            throw AMEError.badUserInput("`limit` must be between 1 and \(engine.limits.maxPageSize)", field: "limit")
        }
        switch root {
        case .attributeValue:
            let version = try await writer.findVersion(try string("valueVersionUuid"))
            return version.map(SystemRecords.attributeValue) ?? .null
        case .attributeValueList:
            let dataType = try string("dataType")
            let identity = try string("dataIdentity")
            let prefix = RuntimeTables.versionKeyPrefix(
                dataType: dataType, id: identity, attribute: arguments["attributeName"]?.stringValue)
            let status = arguments["status"]?.stringValue
            let scope = "attributeValues:\(prefix)|\(status ?? "")"
            return try await page(
                QueryRequest(table: values, partition: partition, sortCondition: .beginsWith(prefix)),
                limit: limit, scope: scope, listField: "attributeValueList", arguments: arguments,
                matches: { status == nil || $0["status"]?.stringValue == status }, record: SystemRecords.attributeValue)
        case .activityHistory:
            let prefix = RuntimeTables.activityHistoryKeyPrefix(
                id: try string("id"), timestamp: try string("timestamp"))
            let page = try await session.query(
                QueryRequest(table: history, partition: partition, sortCondition: .beginsWith(prefix), limit: 1))
            return page.items.first.map(SystemRecords.activityHistory) ?? .null
        case .activityHistoryList:
            let from = arguments["from"]?.stringValue ?? ""
            let to = (arguments["to"]?.stringValue ?? "9999") + "\u{10FFFF}"
            let request: QueryRequest
            var matches: @Sendable (Item) -> Bool = { _ in true }
            if let id = arguments["id"]?.stringValue {
                request = QueryRequest(
                    table: history, partition: partition,
                    sortCondition: .between(
                        .string(RuntimeTables.activityHistoryKeyPrefix(id: id) + from),
                        .string(RuntimeTables.activityHistoryKeyPrefix(id: id) + to)))
                if let type = arguments["type"]?.stringValue { matches = { $0["type"]?.stringValue == type } }
            } else if let type = arguments["type"]?.stringValue {
                request = QueryRequest(
                    table: history, index: "type-index", partition: partition,
                    sortCondition: .between(.string("\(type)#\(from)"), .string("\(type)#\(to)")))
            } else {
                request = QueryRequest(table: history, partition: partition)
                matches = { item in
                    guard let time = item["timestamp"]?.stringValue else { return false }
                    return time >= from && time <= to
                }
            }
            let scope =
                "activityHistory:\(arguments["id"]?.stringValue ?? "")|\(arguments["type"]?.stringValue ?? "")|\(from)|\(to)"
            return try await page(
                request, limit: limit, scope: scope, listField: "activityHistoryList", arguments: arguments,
                matches: matches, record: SystemRecords.activityHistory)
        case .insertUpdateAttributeValue:
            let item = try await writer.upsertAttribute(
                dataType: try string("dataType"), identity: try string("dataIdentity"),
                attribute: try string("attributeName"), value: arguments["value"] ?? .null,
                updatedBy: try string("updatedBy"))
            return ["attributeValue": item.map(SystemRecords.attributeValue) ?? .null]
        case .deleteAttributeValue:
            try await writer.deleteAttributeVersion(
                try string("valueVersionUuid"), updatedBy: arguments["updatedBy"]?.stringValue ?? "unknown")
            return ["ok": true]
        case .insertActivityHistory:
            let item = try await writer.insertHistory(
                id: try string("id"), type: try string("type"), log: arguments["log"]?.stringValue ?? "",
                diff: arguments["dataDiff"] ?? .null, updatedBy: try string("updatedBy"))
            return ["activityHistory": SystemRecords.activityHistory(item)]
        }
    }

    /// One page of a system list, read until full (filters apply while reading).
    private func page(
        _ request: QueryRequest, limit: Int, scope: String, listField: String, arguments: [String: JSONValue],
        matches: @Sendable (Item) -> Bool, record: (Item) -> JSONValue
    ) async throws -> JSONValue {
        var request = request
        if let token = arguments["nextToken"]?.stringValue {
            request.exclusiveStartKey = try engine.pageTokens.decode(token, tenant: tenant, scope: scope)
        }
        var items: [Item] = []
        var lastKey: Item?
        let table = engine.registry.tableDefinitions.first { $0.name == request.table }
        reading: while true {
            request.limit = StoreLimits.queryPageItems
            let page = try await session.query(request)
            for item in page.items where matches(item) {
                if items.count == limit {
                    lastKey = table?.key(of: items[items.count - 1], index: request.index) ?? [:]
                    break reading
                }
                items.append(item)
            }
            guard let next = page.lastEvaluatedKey else { break }
            request.exclusiveStartKey = next
        }
        let token = lastKey.map { engine.pageTokens.encode($0, tenant: tenant, scope: scope) }
        return .object(
            JSONObject([
                (listField, .array(items.map(record))), ("pageSize", .int(limit)), ("pageNumber", .null),
                ("total", .null), ("nextToken", token.map(JSONValue.string) ?? .null),
            ]))
    }
}
