import Foundation

/// Upserts and deletes: the entity change, its `data` versions and its audit record are
/// committed in one transaction, guarded by the row's version (optimistic concurrency).
struct WritePath {
    let engine: GraphQLEngine
    let tenant: Tenant
    let session: StoreSession

    var registry: SchemaRegistry { engine.registry }

    /// How often a write is prepared again after a concurrent change to the same row.
    static let maxAttempts = 64

    func upsert(_ entity: EntityDefinition, arguments: [String: JSONValue]) async throws -> any EntityModel {
        let keyField = entity.keyField
        let table = registry.physicalTable(entity.table)
        guard let updatedBy = arguments["updatedBy"]?.stringValue, !updatedBy.isEmpty else {
            throw AMEError.badUserInput("`updatedBy` is required", field: "updatedBy")
        }
        try checkTenantArguments(entity, arguments: arguments)
        let key: String
        let keyGiven: Bool
        if let given = arguments[keyField.graphQLName], !given.isNull {
            guard let text = given.stringValue, !text.isEmpty else {
                throw AMEError.badUserInput(
                    "`\(keyField.graphQLName)` must be a non-empty string", field: keyField.graphQLName)
            }
            if let problem = Identifiers.textProblem(text, maxBytes: Identifiers.maxKeyBytes) {
                throw AMEError.badUserInput("`\(keyField.graphQLName)` \(problem)", field: keyField.graphQLName)
            }
            key = text
            keyGiven = true
        } else {
            guard keyField.generatedUUID else {
                throw AMEError.badUserInput("`\(keyField.graphQLName)` is required", field: keyField.graphQLName)
            }
            key = engine.keys.next()
            keyGiven = false
        }
        let itemKey = ItemKey(partition: tenant.partitionKey, sort: key)
        // Optimistic concurrency: a write is prepared from the row as read and committed only if
        // the row is still at that version. If another write got there first, the row is read
        // again; when the other write changed none of the fields (or `data` attributes) this one
        // sets, this one is applied on top of it (merge), otherwise the client gets CONFLICT.
        var basis: (item: Item?, data: [String: ItemValue])?
        return try await untilCommitted("`\(entity.name)` `\(key)`") {
            let existing = keyGiven ? try await session.getItem(table: table, key: itemKey) : nil
            if keyGiven && existing == nil && (keyField.generatedUUID || basis?.item != nil) {
                throw AMEError.entityNotFound(type: entity.name, key: key)
            }
            var write = try prepareUpsert(
                entity, key: key, existing: existing, arguments: arguments, updatedBy: updatedBy)
            let data = try await prepareData(entity, key: key, arguments: arguments, updatedBy: updatedBy, into: &write)
            if let basis {
                try checkMergeable(entity, arguments: arguments, basis: basis, latest: (existing, data.active))
            }
            write.add(
                history(
                    type: entity.name, id: key, log: existing == nil ? "insert" : "update", diff: write.diff,
                    updatedBy: updatedBy))
            guard write.actions.count <= StoreLimits.transactionActions else {
                throw AMEError.badUserInput(
                    "this write needs \(write.actions.count) store actions, more than the \(StoreLimits.transactionActions) of one transaction: change fewer `data` attributes at once",
                    field: "data")
            }
            do {
                try await commit(write)
                return write.model!
            } catch ConcurrentChange.detected {
                basis = (existing, data.active)
                throw ConcurrentChange.detected
            }
        }
    }

    /// A tenant named in the arguments (`tenant_arguments`) must be the request's own: the tenant
    /// always comes from the credential, and an argument can only confirm it.
    private func checkTenantArguments(_ entity: EntityDefinition, arguments: [String: JSONValue]) throws {
        for attribute in entity.tenantArguments {
            guard let field = AuditFields.fieldDefinitions.first(where: { $0.attribute == attribute }),
                let given = arguments[field.graphQLName], !given.isNull
            else { continue }
            let own = attribute == "part_id" ? tenant.partId : tenant.endpointId
            guard given.stringValue == own else {
                throw AMEError.forbidden(
                    "`\(field.graphQLName)` names another tenant than the credential's; leave it out or give your own")
            }
        }
    }

    /// The entity's new item, its version guard, foreign key checks and uniqueness guards.
    private func prepareUpsert(
        _ entity: EntityDefinition, key: String, existing: Item?, arguments: [String: JSONValue], updatedBy: String
    ) throws -> PreparedWrite {
        let table = registry.physicalTable(entity.table)
        let timestamp = engine.clock().iso8601
        var write = PreparedWrite()
        var item = existing ?? [:]
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
                write.diff[field.attribute] = .map(["old": old ?? .null, "new": item[field.attribute] ?? .null])
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
        item[tenantAttribute] = .string(tenant.partitionKey)
        item[entity.keyAttribute] = .string(key)
        item["endpoint_id"] = .string(tenant.endpointId)
        item["part_id"] = .string(tenant.partId)
        item["updated_by"] = .string(updatedBy)
        item["updated_at"] = .string(timestamp)
        if isInsert { item["created_at"] = .string(timestamp) }
        item["version"] = .number(String(RuntimeItems.nextVersion(after: existing)))
        entity.composeIndexPartitions(of: &item, tenant: tenant.partitionKey)
        do {
            write.model = try entity.decode(item)
        } catch {
            throw AMEError.badUserInput("the input does not fit `\(entity.name)`: \(error)", field: nil)
        }
        write.add(
            .put(
                table: table, item: item,
                condition: isInsert ? .notExists : .attributeEquals("version", existing?["version"] ?? .null)),
            meaning: .concurrentChange)

        // A reference set by this write must exist, checked in the same transaction.
        var checked = Set<TableKey>()
        for relation in entity.relations where relation.kind == .belongsTo {
            guard case .string(let reference)? = item[relation.viaAttribute], !reference.isEmpty,
                isInsert || existing?[relation.viaAttribute] != item[relation.viaAttribute],
                let target = registry.entity(named: relation.target)
            else { continue }
            let targetKey = TableKey(
                table: registry.physicalTable(target.table),
                key: ItemKey(partition: tenant.partitionKey, sort: reference))
            if targetKey.table == table && reference == key { continue }
            guard checked.insert(targetKey).inserted else { continue }
            let field =
                entity.fields.first { $0.attribute == relation.viaAttribute }?.graphQLName ?? relation.viaAttribute
            write.add(
                .conditionCheck(table: targetKey.table, key: targetKey.key, condition: .exists),
                meaning: .explained(.foreignKeyViolation(type: target.name, field: field, key: reference)))
        }

        // Unique fields: a guard item per value, claimed atomically with the write.
        for field in entity.fields where field.unique {
            let old = existing?[field.attribute].flatMap(Self.guardText)
            let new = item[field.attribute].flatMap(Self.guardText)
            guard old != new else { continue }
            if let old {
                write.add(
                    .delete(
                        table: registry.physicalTable(RuntimeTables.uniqueValues),
                        key: uniqueKey(entity, field, old), condition: .attributeEquals("owner", .string(key))),
                    meaning: .concurrentChange)
            }
            if let new {
                // The value becomes part of a key: one spelling, no control characters.
                if let problem = Identifiers.textProblem(new, maxBytes: Identifiers.maxKeyBytes) {
                    throw AMEError.badUserInput("`\(field.graphQLName)` \(problem)", field: field.graphQLName)
                }
                write.add(
                    .put(
                        table: registry.physicalTable(RuntimeTables.uniqueValues),
                        item: RuntimeItems.uniqueGuard(
                            tenant: tenant, entity: entity.name, field: field.attribute, value: new, owner: key),
                        condition: .notExists),
                    meaning: .explained(
                        .conflict(
                            "`\(field.graphQLName)` `\(new)` is already used by another \(entity.name); choose another value"
                        )))
            }
        }
        return write
    }

    private static func guardText(_ value: ItemValue) -> String? { RuntimeItems.uniqueGuardText(value) }

    private func uniqueKey(_ entity: EntityDefinition, _ field: FieldDefinition, _ value: String) -> ItemKey {
        ItemKey(
            partition: tenant.partitionKey,
            sort: RuntimeTables.uniqueValueKeyFor(entity: entity.name, field: field.attribute, value: value))
    }

    /// After a concurrent change: merge only when the other write touched nothing this one sets.
    private func checkMergeable(
        _ entity: EntityDefinition, arguments: [String: JSONValue], basis: (item: Item?, data: [String: ItemValue]),
        latest: (item: Item?, data: [String: ItemValue])
    ) throws {
        for field in entity.fields
        where !field.isImplicit && field.attribute != entity.keyAttribute && arguments[field.graphQLName] != nil {
            if basis.item?[field.attribute] != latest.item?[field.attribute] {
                throw AMEError.conflict(
                    "`\(field.graphQLName)` of \(entity.name) was changed by another request meanwhile; read it again and retry"
                )
            }
        }
        if case .object(let attributes)? = arguments["data"] {
            for name in attributes.keys where basis.data[name] != latest.data[name] {
                throw AMEError.conflict(
                    "`data.\(name)` of \(entity.name) was changed by another request meanwhile; read it again and retry"
                )
            }
        }
    }

    /// The `data` part of an upsert; returns the active attributes it was based on.
    private func prepareData(
        _ entity: EntityDefinition, key: String, arguments: [String: JSONValue], updatedBy: String,
        into write: inout PreparedWrite
    ) async throws -> (active: [String: ItemValue], Void) {
        guard let data = arguments["data"], !data.isNull else { return ([:], ()) }
        guard case .object(let attributes) = data, let dataType = entity.dataType else {
            throw AMEError.badUserInput(
                entity.dataType == nil ? "`\(entity.name)` has no `data`" : "`data` must be a JSON object",
                field: "data")
        }
        try DataLimits(engine.limits).check(attributes)
        let (actions, dataDiff, active) = try await dataWrite(
            dataType: dataType, encoding: entity.dataValues, id: key, attributes: attributes, updatedBy: updatedBy,
            timestamp: engine.clock().iso8601)
        for (action, meaning) in actions { write.add(action, meaning: meaning) }
        if !dataDiff.isEmpty { write.diff["data"] = .map(dataDiff) }
        return (active, ())
    }

    func delete(_ entity: EntityDefinition, arguments: [String: JSONValue]) async throws {
        let keyField = entity.keyField
        guard let key = arguments[keyField.graphQLName]?.stringValue, !key.isEmpty else {
            throw AMEError.badUserInput("`\(keyField.graphQLName)` is required", field: keyField.graphQLName)
        }
        let table = registry.physicalTable(entity.table)
        let itemKey = ItemKey(partition: tenant.partitionKey, sort: key)
        try await untilCommitted("`\(entity.name)` `\(key)`") {
            guard let existing = try await session.getItem(table: table, key: itemKey) else {
                throw AMEError.entityNotFound(type: entity.name, key: key)
            }
            var write = PreparedWrite()
            write.add(
                .delete(
                    table: table, key: itemKey, condition: .attributeEquals("version", existing["version"] ?? .null)),
                meaning: .concurrentChange)
            if let dataType = entity.dataType {
                write.add(
                    .delete(
                        table: registry.physicalTable(RuntimeTables.attributeValues),
                        key: ItemKey(
                            partition: tenant.partitionKey,
                            sort: RuntimeTables.activeDataKey(dataType: dataType, id: key)),
                        condition: nil))
            }
            for field in entity.fields where field.unique {
                guard let value = existing[field.attribute].flatMap(Self.guardText) else { continue }
                write.add(
                    .delete(
                        table: registry.physicalTable(RuntimeTables.uniqueValues),
                        key: uniqueKey(entity, field, value), condition: nil))
            }
            let updatedBy = arguments["updatedBy"]?.stringValue ?? existing["updated_by"]?.stringValue ?? "unknown"
            write.add(history(type: entity.name, id: key, log: "delete", diff: [:], updatedBy: updatedBy))
            try await commit(write)
        }
    }

    /// A write ready to commit: its actions, and what a failed condition at each one means.
    struct PreparedWrite {
        enum Meaning {
            /// Another write changed the row (or its `data`) since it was read: prepare again.
            case concurrentChange
            /// A failed condition the client must hear about as this error.
            case explained(AMEError)
        }

        var actions: [WriteAction] = []
        var meanings: [Int: Meaning] = [:]
        var diff: [String: ItemValue] = [:]
        var model: (any EntityModel)?

        mutating func add(_ action: WriteAction, meaning: Meaning? = nil) {
            if let meaning { meanings[actions.count] = meaning }
            actions.append(action)
        }
    }

    enum ConcurrentChange: Error {
        case detected
    }

    /// Runs `attempt` (which prepares a write from what it reads and commits it) until it commits:
    /// when another write changed what it read first (`ConcurrentChange`), it runs again after a
    /// short random pause, at most ``maxAttempts`` times; then the client gets `CONFLICT`, naming
    /// `what` is being changed.
    func untilCommitted<T>(_ what: @autoclosure () -> String, _ attempt: () async throws -> T) async throws -> T {
        for number in 1...Self.maxAttempts {
            do {
                return try await attempt()
            } catch ConcurrentChange.detected {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...min(2 * number, 20))))
            }
        }
        throw AMEError.conflict("\(what()) is being changed by many requests at once; retry")
    }

    /// Commits a write's actions; the audit record is always the last one.
    func commit(_ write: PreparedWrite) async throws {
        do {
            try await session.transactWrite(write.actions)
        } catch StoreError.conditionFailed(let index) {
            // A transaction resent after a lost response fails its own conditions when its first
            // attempt did commit. The audit record is unique to this write and tells the two apart.
            if case .put(let table, let record, _)? = write.actions.last,
                let sort = record[RuntimeTables.activityHistoryKey]?.stringValue,
                try await session.getItem(table: table, key: ItemKey(partition: tenant.partitionKey, sort: sort)) != nil
            {
                return
            }
            switch write.meanings[index] {
            case .explained(let error)?: throw error
            case .concurrentChange?: throw ConcurrentChange.detected
            case nil: throw AMEError.conflict("the write conflicts with another one; read again and retry")
            }
        }
    }

    /// New versions for changed attributes of `data`, each value stored as `encoding` says; the
    /// previous versions become inactive.
    func dataWrite(
        dataType: String, encoding: DataValueEncoding, id: String, attributes: JSONObject, updatedBy: String,
        timestamp: String
    )
        async throws -> ([(WriteAction, PreparedWrite.Meaning?)], [String: ItemValue], [String: ItemValue])
    {
        let table = registry.physicalTable(RuntimeTables.attributeValues)
        let activeKey = ItemKey(
            partition: tenant.partitionKey, sort: RuntimeTables.activeDataKey(dataType: dataType, id: id))
        let active = try await session.getItem(table: table, key: activeKey)
        var values: [String: ItemValue] = [:]
        var versions: [String: ItemValue] = [:]
        if case .map(let map)? = active?["values"] { values = map }
        if case .map(let map)? = active?["versions"] { versions = map }
        let basis = values
        var actions: [(WriteAction, PreparedWrite.Meaning?)] = []
        var diff: [String: ItemValue] = [:]
        for (name, written) in attributes.pairs {
            let json = encoding.stored(written)
            let newValue = ItemValue(json: json)
            let oldValue = values[name]
            if oldValue == newValue || (json.isNull && oldValue == nil) { continue }
            diff[name] = .map(["old": oldValue ?? .null, "new": newValue])
            if let oldValue, case .map(let meta)? = versions[name], case .string(let oldVersion)? = meta["v"] {
                actions.append(
                    (
                        .put(
                            table: table,
                            item: versionItem(
                                dataType: dataType, id: id, attribute: name, version: oldVersion, value: oldValue,
                                status: "inactive", updatedBy: meta["by"]?.stringValue ?? updatedBy,
                                createdAt: meta["at"]?.stringValue ?? timestamp, updatedAt: timestamp),
                            condition: nil), nil
                    ))
            }
            if json.isNull {
                values[name] = nil
                versions[name] = nil
                continue
            }
            let version = UUID().uuidString.lowercased()
            actions.append(
                (
                    .put(
                        table: table,
                        item: versionItem(
                            dataType: dataType, id: id, attribute: name, version: version, value: newValue,
                            status: "active", updatedBy: updatedBy, createdAt: timestamp, updatedAt: timestamp),
                        condition: nil), nil
                ))
            values[name] = newValue
            versions[name] = RuntimeItems.activeVersionEntry(
                version: version, updatedBy: .string(updatedBy), createdAt: .string(timestamp))
        }
        guard !actions.isEmpty else { return ([], [:], basis) }
        // What the store holds for the entity after this write must stay readable in one item.
        try DataLimits(engine.limits).checkSnapshot(values)
        let snapshot = RuntimeItems.activeData(
            tenant: tenant, dataType: dataType, id: id, values: values, versions: versions,
            version: RuntimeItems.nextVersion(after: active), updatedAt: timestamp)
        // The active attributes are read, changed and written back: guarded like the entity's row.
        let guardCondition: WriteCondition =
            active == nil ? .notExists : .attributeEquals("version", active?["version"] ?? .null)
        actions.append((.put(table: table, item: snapshot, condition: guardCondition), .concurrentChange))
        return (actions, diff, basis)
    }

    func versionItem(
        dataType: String, id: String, attribute: String, version: String, value: ItemValue, status: String,
        updatedBy: String, createdAt: String, updatedAt: String
    ) -> Item {
        RuntimeItems.attributeVersion(
            tenant: tenant, dataType: dataType, id: id, attribute: attribute, version: version, value: value,
            status: status, updatedBy: updatedBy, createdAt: createdAt, updatedAt: updatedAt)
    }

    func history(
        type: String, id: String, log: String, diff: [String: ItemValue], updatedBy: String
    )
        -> WriteAction
    {
        let timestamp = engine.clock().iso8601
        let eventID = UUID().uuidString.lowercased()
        return .put(
            table: registry.physicalTable(RuntimeTables.activityHistory),
            item: RuntimeItems.history(
                tenant: tenant, id: id, type: type, timestamp: timestamp, event: eventID, log: log, diff: diff,
                updatedBy: updatedBy),
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
                // Keys are accepted in GraphQL (camelCase) or stored (snake_case) spelling: a
                // `JSONCamelCase` value from a variable arrives in snake_case.
                guard let definition = fields.first(where: { $0.graphQLName == name || $0.attribute == name }) else {
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
