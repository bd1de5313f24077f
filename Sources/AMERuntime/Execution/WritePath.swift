import Foundation

/// Upserts and deletes: the entity change, its `data` versions and its audit record are
/// committed in one transaction, guarded by the row's version (optimistic concurrency).
struct WritePath {
    let engine: GraphQLEngine
    let tenant: Tenant
    let session: StoreSession

    var registry: SchemaRegistry { engine.registry }

    func upsert(_ entity: EntityDefinition, arguments: [String: JSONValue]) async throws -> any EntityModel {
        let keyField = entity.keyField
        let table = registry.physicalTable(entity.table)
        guard let updatedBy = arguments["updatedBy"]?.stringValue, !updatedBy.isEmpty else {
            throw AMEError.badUserInput("`updatedBy` is required", field: "updatedBy")
        }
        let now = engine.clock()
        let timestamp = now.iso8601
        var existing: Item?
        var key: String
        if let given = arguments[keyField.graphQLName], !given.isNull {
            guard let text = given.stringValue, !text.isEmpty else {
                throw AMEError.badUserInput(
                    "`\(keyField.graphQLName)` must be a non-empty string", field: keyField.graphQLName)
            }
            key = text
            existing = try await session.getItem(table: table, key: ItemKey(partition: tenant.partitionKey, sort: key))
            if existing == nil && keyField.generatedUUID {
                throw AMEError.entityNotFound(type: entity.name, key: key)
            }
        } else {
            guard keyField.generatedUUID else {
                throw AMEError.badUserInput("`\(keyField.graphQLName)` is required", field: keyField.graphQLName)
            }
            key = engine.keys.next()
        }

        var item = existing ?? [:]
        var diff: [String: ItemValue] = [:]
        for field in entity.fields where !field.isImplicit && field.attribute != entity.keyAttribute {
            guard let argument = arguments[field.graphQLName] else { continue }
            let old = item[field.attribute]
            if argument.isNull {
                if field.required {
                    throw AMEError.badUserInput(
                        "`\(field.graphQLName)` is required and cannot be cleared", field: field.graphQLName)
                }
                item[field.attribute] = nil
            } else {
                item[field.attribute] = try Self.storedValue(argument, type: field.type, field: field.graphQLName)
            }
            if old != item[field.attribute] {
                diff[field.attribute] = .map(["old": old ?? .null, "new": item[field.attribute] ?? .null])
            }
        }
        let isInsert = existing == nil
        if isInsert {
            for field in entity.fields where !field.isImplicit && item[field.attribute] == nil {
                if let value = field.defaultValue { item[field.attribute] = value }
                if field.required && field.attribute != entity.keyAttribute && item[field.attribute] == nil {
                    throw AMEError.badUserInput("`\(field.graphQLName)` is required", field: field.graphQLName)
                }
            }
        }
        let previousVersion =
            Int(existing?["version"].flatMap { if case .number(let n) = $0 { n } else { nil } } ?? "0") ?? 0
        item[tenantAttribute] = .string(tenant.partitionKey)
        item[entity.keyAttribute] = .string(key)
        item["endpoint_id"] = .string(tenant.endpointId)
        item["part_id"] = .string(tenant.partId)
        item["updated_by"] = .string(updatedBy)
        item["updated_at"] = .string(timestamp)
        if isInsert { item["created_at"] = .string(timestamp) }
        item["version"] = .number(String(previousVersion + 1))

        let model: any EntityModel
        do {
            model = try entity.decode(item)
        } catch {
            throw AMEError.badUserInput("the input does not fit `\(entity.name)`: \(error)", field: nil)
        }

        var actions: [WriteAction] = [
            .put(
                table: table, item: item,
                condition: isInsert ? .notExists : .attributeEquals("version", .number(String(previousVersion))))
        ]
        if let data = arguments["data"], !data.isNull {
            guard case .object(let attributes) = data, let dataType = entity.dataType else {
                throw AMEError.badUserInput(
                    entity.dataType == nil ? "`\(entity.name)` has no `data`" : "`data` must be a JSON object",
                    field: "data")
            }
            let (dataActions, dataDiff) = try await dataWrite(
                dataType: dataType, id: key, attributes: attributes, updatedBy: updatedBy, timestamp: timestamp)
            actions += dataActions
            if !dataDiff.isEmpty { diff["data"] = .map(dataDiff) }
        }
        actions.append(
            history(
                entity: entity, id: key, log: isInsert ? "insert" : "update", diff: diff, updatedBy: updatedBy, now: now
            ))
        guard actions.count <= StoreLimits.transactionActions else {
            throw AMEError.badUserInput(
                "one write may change at most \(StoreLimits.transactionActions - 4) `data` attributes", field: "data")
        }
        try await commit(actions, entity: entity, key: key)
        return model
    }

    func delete(_ entity: EntityDefinition, arguments: [String: JSONValue]) async throws {
        let keyField = entity.keyField
        guard let key = arguments[keyField.graphQLName]?.stringValue, !key.isEmpty else {
            throw AMEError.badUserInput("`\(keyField.graphQLName)` is required", field: keyField.graphQLName)
        }
        let table = registry.physicalTable(entity.table)
        let itemKey = ItemKey(partition: tenant.partitionKey, sort: key)
        guard let existing = try await session.getItem(table: table, key: itemKey) else {
            throw AMEError.entityNotFound(type: entity.name, key: key)
        }
        var actions: [WriteAction] = [
            .delete(table: table, key: itemKey, condition: .attributeEquals("version", existing["version"] ?? .null))
        ]
        if let dataType = entity.dataType {
            actions.append(
                .delete(
                    table: registry.physicalTable(RuntimeTables.attributeValues),
                    key: ItemKey(
                        partition: tenant.partitionKey, sort: RuntimeTables.activeDataKey(dataType: dataType, id: key)),
                    condition: nil))
        }
        let updatedBy = arguments["updatedBy"]?.stringValue ?? existing["updated_by"]?.stringValue ?? "unknown"
        actions.append(
            history(entity: entity, id: key, log: "delete", diff: [:], updatedBy: updatedBy, now: engine.clock()))
        try await commit(actions, entity: entity, key: key)
    }

    /// Commits a write's actions; the audit record is always the last one.
    private func commit(_ actions: [WriteAction], entity: EntityDefinition, key: String) async throws {
        do {
            try await session.transactWrite(actions)
        } catch StoreError.conditionFailed {
            // A transaction resent after a lost response fails its own conditions when its first
            // attempt did commit. The audit record is unique to this write and tells the two apart.
            if case .put(let table, let record, _)? = actions.last,
                let sort = record[RuntimeTables.activityHistoryKey]?.stringValue,
                try await session.getItem(table: table, key: ItemKey(partition: tenant.partitionKey, sort: sort)) != nil
            {
                return
            }
            throw AMEError.conflict("`\(entity.name)` `\(key)` was changed by another request; read it again and retry")
        }
    }

    /// New versions for changed attributes of `data`; the previous versions become inactive.
    private func dataWrite(
        dataType: String, id: String, attributes: JSONObject, updatedBy: String, timestamp: String
    )
        async throws -> ([WriteAction], [String: ItemValue])
    {
        let table = registry.physicalTable(RuntimeTables.attributeValues)
        let activeKey = ItemKey(
            partition: tenant.partitionKey, sort: RuntimeTables.activeDataKey(dataType: dataType, id: id))
        let active = try await session.getItem(table: table, key: activeKey)
        var values: [String: ItemValue] = [:]
        var versions: [String: ItemValue] = [:]
        if case .map(let map)? = active?["values"] { values = map }
        if case .map(let map)? = active?["versions"] { versions = map }
        var actions: [WriteAction] = []
        var diff: [String: ItemValue] = [:]
        for (name, json) in attributes.pairs {
            let newValue = ItemValue(json: json)
            let oldValue = values[name]
            if oldValue == newValue || (json.isNull && oldValue == nil) { continue }
            diff[name] = .map(["old": oldValue ?? .null, "new": newValue])
            if let oldValue, case .map(let meta)? = versions[name], case .string(let oldVersion)? = meta["v"] {
                actions.append(
                    .put(
                        table: table,
                        item: versionItem(
                            dataType: dataType, id: id, attribute: name, version: oldVersion, value: oldValue,
                            status: "inactive", updatedBy: meta["by"]?.stringValue ?? updatedBy,
                            createdAt: meta["at"]?.stringValue ?? timestamp, updatedAt: timestamp),
                        condition: nil))
            }
            if json.isNull {
                values[name] = nil
                versions[name] = nil
                continue
            }
            let version = UUID().uuidString.lowercased()
            actions.append(
                .put(
                    table: table,
                    item: versionItem(
                        dataType: dataType, id: id, attribute: name, version: version, value: newValue,
                        status: "active",
                        updatedBy: updatedBy, createdAt: timestamp, updatedAt: timestamp),
                    condition: nil))
            values[name] = newValue
            versions[name] = .map(["v": .string(version), "by": .string(updatedBy), "at": .string(timestamp)])
        }
        guard !actions.isEmpty else { return ([], [:]) }
        let snapshot: Item = [
            tenantAttribute: .string(tenant.partitionKey),
            RuntimeTables.attributeValueKey: .string(activeKey.sort),
            "data_type": .string(dataType),
            "data_identity": .string(id),
            "values": .map(values),
            "versions": .map(versions),
            "updated_at": .string(timestamp),
        ]
        actions.append(.put(table: table, item: snapshot, condition: nil))
        return (actions, diff)
    }

    private func versionItem(
        dataType: String, id: String, attribute: String, version: String, value: ItemValue, status: String,
        updatedBy: String, createdAt: String, updatedAt: String
    ) -> Item {
        [
            tenantAttribute: .string(tenant.partitionKey),
            RuntimeTables.attributeValueKey: .string(
                RuntimeTables.versionKey(dataType: dataType, id: id, attribute: attribute, version: version)),
            "data_type_attribute_name": .string("\(dataType)-\(attribute)"),
            "value_version_uuid": .string(version),
            "data_identity": .string(id),
            "value": value,
            "status": .string(status),
            "endpoint_id": .string(tenant.endpointId),
            "part_id": .string(tenant.partId),
            "updated_by": .string(updatedBy),
            "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
        ]
    }

    private func history(
        entity: EntityDefinition, id: String, log: String, diff: [String: ItemValue], updatedBy: String, now: Timestamp
    )
        -> WriteAction
    {
        let timestamp = now.iso8601
        let eventID = UUID().uuidString.lowercased()
        return .put(
            table: registry.physicalTable(RuntimeTables.activityHistory),
            item: [
                tenantAttribute: .string(tenant.partitionKey),
                RuntimeTables.activityHistoryKey: .string("\(id)#\(timestamp)#\(eventID)"),
                "id": .string(id),
                "type": .string(entity.name),
                "timestamp": .string(timestamp),
                "log": .string(log),
                "data_diff": .map(diff),
                "updated_by": .string(updatedBy),
                "endpoint_id": .string(tenant.endpointId),
                "part_id": .string(tenant.partId),
            ],
            condition: .notExists)
    }

    // MARK: Input conversion

    /// Converts a GraphQL input value into its stored form, or explains what is wrong.
    static func storedValue(_ value: JSONValue, type: ValueType, field: String) throws(AMEError) -> ItemValue {
        func wrong(_ expected: String) -> AMEError {
            AMEError.badUserInput("`\(field)` must be \(expected)", field: field)
        }
        switch type {
        case .string:
            switch value {
            case .string(let text): return .string(text)
            case .int(let number): return .string(String(number))
            default: throw wrong("a string")
            }
        case .int:
            guard let number = value.intValue else { throw wrong("an integer") }
            return .number(String(number))
        case .float:
            switch value {
            case .int(let number): return .number(String(number))
            case .double(let number): return ItemValue.number(number)
            default: throw wrong("a number")
            }
        case .boolean:
            guard case .bool(let flag) = value else { throw wrong("true or false") }
            return .bool(flag)
        case .json:
            return ItemValue(json: value)
        case .list(let elementType):
            if case .null = value { return .null }
            let elements: [JSONValue]
            if case .array(let array) = value { elements = array } else { elements = [value] }
            var result: [ItemValue] = []
            for element in elements {
                guard !element.isNull else { throw wrong("a list without nulls") }
                result.append(try storedValue(element, type: elementType, field: field))
            }
            return .list(result)
        case .object(_, let fields):
            guard case .object(let object) = value else { throw wrong("an object") }
            var map: [String: ItemValue] = [:]
            for (name, fieldValue) in object.pairs {
                guard let definition = fields.first(where: { $0.graphQLName == name }) else {
                    throw AMEError.badUserInput("`\(field).\(name)` is not a field of the input", field: field)
                }
                if !fieldValue.isNull {
                    map[definition.attribute] = try storedValue(
                        fieldValue, type: definition.type, field: "\(field).\(name)")
                }
            }
            return .map(map)
        }
    }

    /// Whether a stored value equals a filter value (numbers compare numerically).
    static func sameValue(_ stored: ItemValue?, _ wanted: ItemValue) -> Bool {
        guard let stored else { return false }
        if case .number(let a) = stored, case .number(let b) = wanted { return Double(a) == Double(b) }
        return stored == wanted
    }
}
