import Foundation

/// Writes of the runtime's own tables: single attribute versions and audit records.
extension WritePath {
    /// The version item with this id, found through the `value_version_uuid` index. A global
    /// index (the project's `layout: global`) lags writes: its entry is read again by key, so a
    /// version deleted or changed since is answered as it is now. A version written a moment ago
    /// may not be in it yet (docs/SCHEMA.md, "Layout").
    func findVersion(_ version: String) async throws -> Item? {
        let request = QueryRequest(
            table: registry.physicalTable(RuntimeTables.attributeValues), index: RuntimeTables.versionIndex,
            partition: .string(tenant.partitionKey), sortCondition: .equals(.string(version)), limit: 1)
        let page = try await session.query(request)
        return try await session.currentItems(of: page.items, readBy: request)
            .first { $0["value_version_uuid"] == .string(version) }
    }

    /// The entity that owns `data` of this type, to check the attribute's owner exists.
    private func owner(ofDataType dataType: String) throws(AMEError) -> EntityDefinition {
        guard let entity = registry.entities.first(where: { $0.dataType == dataType }) else {
            let known = registry.entities.compactMap(\.dataType).sorted().joined(separator: ", ")
            throw AMEError.badUserInput("unknown data type `\(dataType)` (known: \(known))", field: "dataType")
        }
        return entity
    }

    /// Sets one attribute of an entity's `data` (a new active version; `null` removes it).
    func upsertAttribute(
        dataType: String, identity: String, attribute: String, value: JSONValue, updatedBy: String
    )
        async throws -> Item?
    {
        let entity = try owner(ofDataType: dataType)
        return try await untilCommitted("`data.\(attribute)` of `\(identity)`") {
            var write = PreparedWrite()
            let (actions, diff, _) = try await dataWrite(
                dataType: dataType, encoding: entity.dataValues, id: identity,
                attributes: JSONObject([(attribute, value)]), updatedBy: updatedBy,
                timestamp: engine.clock().iso8601)
            for (action, meaning) in actions { write.add(action, meaning: meaning) }
            write.add(
                .conditionCheck(
                    table: registry.physicalTable(entity.table),
                    key: ItemKey(partition: tenant.partitionKey, sort: identity), condition: .exists),
                meaning: .explained(.foreignKeyViolation(type: entity.name, field: "dataIdentity", key: identity)))
            write.add(
                history(
                    type: entity.name, id: identity, log: "update data", diff: ["data": .map(diff)],
                    updatedBy: updatedBy))
            try await commit(write)
            let newVersion = actions.compactMap { action, _ -> Item? in
                if case .put(_, let item, _) = action, item["status"] == "active" { return item }
                return nil
            }.first
            if let newVersion { return newVersion }
            return try await activeVersion(dataType: dataType, identity: identity, attribute: attribute)
        }
    }

    private func activeVersion(dataType: String, identity: String, attribute: String) async throws -> Item? {
        let page = try await session.query(
            QueryRequest(
                table: registry.physicalTable(RuntimeTables.attributeValues), partition: .string(tenant.partitionKey),
                sortCondition: .beginsWith(
                    RuntimeTables.versionKeyPrefix(dataType: dataType, id: identity, attribute: attribute))))
        return page.items.first { $0["status"] == "active" }
    }

    /// Deletes one version. Deleting the active one re-activates the newest inactive version
    /// (or removes the attribute from `data` when there is none).
    func deleteAttributeVersion(_ version: String, updatedBy: String) async throws {
        let table = registry.physicalTable(RuntimeTables.attributeValues)
        try await untilCommitted("attribute version `\(version)`") {
            guard let item = try await findVersion(version),
                let dataType = item["data_type"]?.stringValue, let identity = item["data_identity"]?.stringValue,
                let attribute = item["attribute_name"]?.stringValue,
                let sort = item[RuntimeTables.attributeValueKey]?.stringValue
            else {
                throw AMEError.entityNotFound(type: "AttributeValue", key: version)
            }
            var write = PreparedWrite()
            write.add(
                .delete(
                    table: table, key: ItemKey(partition: tenant.partitionKey, sort: sort),
                    condition: .attributeEquals("status", item["status"] ?? .null)),
                meaning: .concurrentChange)
            var diff: [String: ItemValue] = ["deleted": .string(version)]
            if item["status"] == "active" {
                let activeKey = ItemKey(
                    partition: tenant.partitionKey, sort: RuntimeTables.activeDataKey(dataType: dataType, id: identity))
                let snapshot = try await session.getItem(table: table, key: activeKey)
                let siblings = try await session.query(
                    QueryRequest(
                        table: table, partition: .string(tenant.partitionKey),
                        sortCondition: .beginsWith(
                            RuntimeTables.versionKeyPrefix(dataType: dataType, id: identity, attribute: attribute))))
                let newest = siblings.items.filter { $0["status"] == "inactive" }
                    .max { ($0["updated_at"]?.stringValue ?? "") < ($1["updated_at"]?.stringValue ?? "") }
                var values: [String: ItemValue] = [:]
                var versions: [String: ItemValue] = [:]
                if case .map(let map)? = snapshot?["values"] { values = map }
                if case .map(let map)? = snapshot?["versions"] { versions = map }
                if let newest, let newestVersion = newest["value_version_uuid"]?.stringValue {
                    var reactivated = newest
                    reactivated["status"] = "active"
                    reactivated["updated_at"] = .string(engine.clock().iso8601)
                    write.add(
                        .put(table: table, item: reactivated, condition: .attributeEquals("status", "inactive")),
                        meaning: .concurrentChange)
                    values[attribute] = newest["value"] ?? .null
                    versions[attribute] = RuntimeItems.activeVersionEntry(
                        version: newestVersion, updatedBy: newest["updated_by"] ?? .null,
                        createdAt: newest["created_at"] ?? .null)
                    diff["reactivated"] = .string(newestVersion)
                } else {
                    values[attribute] = nil
                    versions[attribute] = nil
                }
                if var snapshot {
                    let previous = snapshot["version"]
                    snapshot["values"] = .map(values)
                    snapshot["versions"] = .map(versions)
                    snapshot["version"] = .number(String(RuntimeItems.nextVersion(after: snapshot)))
                    write.add(
                        .put(table: table, item: snapshot, condition: .attributeEquals("version", previous ?? .null)),
                        meaning: .concurrentChange)
                }
            }
            write.add(
                history(
                    type: "AttributeValue", id: identity, log: "delete data version", diff: diff, updatedBy: updatedBy))
            try await commit(write)
        }
    }

    /// Records an audit event by hand (`insertActivityHistory`), as the original API allows.
    /// A record without a `type` is kept out of the type index.
    func insertHistory(id: String, type: String?, log: String, diff: JSONValue, updatedBy: String) async throws -> Item
    {
        var diffMap: [String: ItemValue] = [:]
        if case .map(let map) = ItemValue(json: diff) { diffMap = map }
        guard
            case .put(let table, var item, let condition) = history(
                type: type ?? "", id: id, log: log, diff: diffMap, updatedBy: updatedBy)
        else { return [:] }
        if type == nil {
            item["type"] = nil
            item["type_timestamp"] = nil
        }
        try await session.transactWrite([.put(table: table, item: item, condition: condition)])
        return item
    }

    /// Deletes audit records (`deleteActivityHistory`), in one transaction.
    func deleteHistory(_ records: [Item]) async throws {
        let table = registry.physicalTable(RuntimeTables.activityHistory)
        var actions: [WriteAction] = []
        for record in records {
            guard let sort = record[RuntimeTables.activityHistoryKey]?.stringValue else { continue }
            actions.append(
                .delete(table: table, key: ItemKey(partition: tenant.partitionKey, sort: sort), condition: nil))
        }
        for start in stride(from: 0, to: actions.count, by: StoreLimits.transactionActions) {
            try await session.transactWrite(
                Array(actions[start..<min(actions.count, start + StoreLimits.transactionActions)]))
        }
    }
}
