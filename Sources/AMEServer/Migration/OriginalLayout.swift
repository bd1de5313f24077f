import AMERuntime

/// The original service's six DynamoDB tables under a prefix (usually `ame-`), with their exact
/// key schemas, and the translation of each of their items into AME's items.
///
/// Every AME key is built by ``RuntimeTables``'s key functions and every runtime item by
/// ``RuntimeItems``, as the write path builds them.
public struct OriginalLayout: Sendable {
    /// One of the original's tables.
    public struct Table: Sendable {
        public enum Kind: Sendable {
            case entity(EntityDefinition)
            case attributeValues
            case activityHistory
        }

        /// `contact_profiles`.
        public var logicalName: String
        /// The physical name: the prefix and the logical name.
        public var name: String
        public var kind: Kind
        /// The key schema the original's layout has (its indexes are not read).
        public var keys: TableDescription

        /// `partition_key=dev#dev, contact_uuid=0014…`: how an error names an item.
        func describeKey(of item: Item) -> String {
            var names = [keys.partition.name]
            if let sort = keys.sort?.name { names.append(sort) }
            return names.map { name in
                switch item[name] {
                case .string(let text)?: "\(name)=\(text)"
                case .number(let text)?: "\(name)=\(text)"
                case nil: "\(name) missing"
                default: "\(name) not a string"
                }
            }.joined(separator: ", ")
        }
    }

    public let prefix: String
    public let registry: SchemaRegistry
    /// In the order they are read: the entities (so audit records can be given their tenant),
    /// then `data` versions, then the audit records.
    public let tables: [Table]
    /// The attribute holding the tenant in the original's tables.
    static let partitionAttribute = "partition_key"

    public init(prefix: String, registry: SchemaRegistry) {
        self.prefix = prefix
        self.registry = registry
        var tables = registry.entities.map { entity in
            Table(
                logicalName: entity.table, name: prefix + entity.table, kind: .entity(entity),
                keys: TableDescription(
                    name: prefix + entity.table, partition: .init(Self.partitionAttribute),
                    sort: .init(entity.keyAttribute)))
        }
        let values = RuntimeTables.attributeValues
        tables.append(
            Table(
                logicalName: values, name: prefix + values, kind: .attributeValues,
                keys: TableDescription(
                    name: prefix + values, partition: .init("data_type_attribute_name"),
                    sort: .init("value_version_uuid"))))
        let history = RuntimeTables.activityHistory
        tables.append(
            Table(
                logicalName: history, name: prefix + history, kind: .activityHistory,
                keys: TableDescription(
                    name: prefix + history, partition: .init("id"), sort: .init("timestamp", .number))))
        self.tables = tables
    }

    /// Checks that every table exists with the original's key schema and can be read with the
    /// credentials at hand (DescribeTable, then one Scan of one item). Nothing is written.
    public func check(_ source: DynamoDBStore) async throws(MigrationError) {
        var problems: [String] = []
        for table in tables {
            let found: TableDescription?
            do {
                found = try await source.describeTable(named: table.name)
                if found != nil {
                    _ = try await source.scan(ScanRequest(table: table.name, limit: 1))
                }
            } catch {
                throw .cannotRead(table: table.name, reason: "\(error)")
            }
            guard let found else {
                problems.append(
                    "table \(table.name) does not exist (is --from-prefix `\(prefix)` the original's table prefix?)")
                continue
            }
            if found.partition != table.keys.partition || found.sort != table.keys.sort {
                problems.append(
                    "table \(table.name) has keys \(found.keys), but the original's layout has \(table.keys.keys)")
            }
        }
        guard problems.isEmpty else { throw .wrongTables(problems) }
    }

    // MARK: Translation

    /// An entity row of the original in AME's terms.
    struct EntityRow {
        var tenant: Tenant
        var key: String
        var item: Item
        /// The uniqueness guards of its `unique` fields.
        var guards: [Item]
    }

    /// The tenant of `partition_key` (`"<endpoint_id>#<part_id>"`), checked against
    /// `endpoint_id` and `part_id` where the item has them.
    static func tenant(of item: Item, table: Table) throws(MigrationError) -> Tenant {
        let problem = { (attribute: String, text: String) in
            MigrationError.invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: attribute, problem: text)
        }
        guard case .string(let partition)? = item[partitionAttribute] else {
            throw problem(partitionAttribute, "is missing or not a string (the tenant, `<endpoint_id>#<part_id>`)")
        }
        guard let separator = partition.firstIndex(of: "#"), separator != partition.startIndex,
            partition.index(after: separator) != partition.endIndex
        else {
            throw problem(partitionAttribute, "`\(partition)` is not `<endpoint_id>#<part_id>`")
        }
        let tenant = Tenant(
            endpointId: String(partition[..<separator]), partId: String(partition[partition.index(after: separator)...])
        )
        if let endpoint = item["endpoint_id"], endpoint != .string(tenant.endpointId) {
            throw problem("endpoint_id", "does not match partition_key `\(partition)`")
        }
        if let part = item["part_id"], part != .string(tenant.partId) {
            throw problem("part_id", "does not match partition_key `\(partition)`")
        }
        return tenant
    }

    /// A timestamp attribute in AME's stored form, when the item has it.
    static func timestamp(_ name: String, of item: Item, table: Table, required: Bool) throws(MigrationError) -> String?
    {
        switch item[name] {
        case nil where !required:
            return nil
        case .string(let text)?:
            guard let stamp = Timestamp(iso8601: text) else {
                throw .invalidItem(
                    table: table.name, key: table.describeKey(of: item), attribute: name,
                    problem: "`\(text)` is not a timestamp like 2026-12-01T08:31:40.817790+0000")
            }
            return stamp.iso8601
        default:
            throw .invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: name,
                problem: "is missing or not a string (a timestamp like 2026-12-01T08:31:40.817790+0000)")
        }
    }

    static func string(_ name: String, of item: Item, table: Table, required: Bool) throws(MigrationError) -> String? {
        switch item[name] {
        case nil where !required: return nil
        case .string(let text)? where !text.isEmpty || !required: return text
        default:
            throw .invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: name,
                problem: "is missing or not a non-empty string")
        }
    }

    static func refuseUnknownAttributes(
        _ item: Item, allowed: Set<String>, table: Table, what: String
    )
        throws(MigrationError)
    {
        if let unknown = item.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: unknown,
                problem: "is not part of \(what) in the original's layout (declare it in the schema, or remove it)")
        }
    }

    /// The row AME stores for an entity item: every declared field, the tenant and audit fields
    /// (timestamps in AME's form), version 1; validated by the entity's generated decoder.
    func entityRow(_ item: Item, entity: EntityDefinition, table: Table) throws(MigrationError) -> EntityRow {
        let tenant = try Self.tenant(of: item, table: table)
        let key = try Self.string(entity.keyAttribute, of: item, table: table, required: true)!
        let declared = entity.fields.filter { !$0.isImplicit }
        try Self.refuseUnknownAttributes(
            item,
            allowed: Set(
                declared.map(\.attribute) + [Self.partitionAttribute] + AuditFields.fieldDefinitions.map(\.attribute)),
            table: table, what: "a \(entity.name)")
        var row: Item = [:]
        for field in declared { row[field.attribute] = item[field.attribute] }
        row[tenantAttribute] = .string(tenant.partitionKey)
        row["endpoint_id"] = .string(tenant.endpointId)
        row["part_id"] = .string(tenant.partId)
        if let updatedBy = try Self.string("updated_by", of: item, table: table, required: false) {
            row["updated_by"] = .string(updatedBy)
        }
        for name in ["created_at", "updated_at"] {
            if let stamp = try Self.timestamp(name, of: item, table: table, required: false) {
                row[name] = .string(stamp)
            }
        }
        row["version"] = .number("1")
        entity.composeIndexPartitions(of: &row, tenant: tenant.partitionKey)
        do {
            _ = try entity.decode(row)
        } catch {
            throw .invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: error.attribute,
                problem: "is not \(error.expected), as \(entity.name) declares it")
        }
        var guards: [Item] = []
        for field in entity.fields where field.unique {
            guard let text = row[field.attribute].flatMap(RuntimeItems.uniqueGuardText) else { continue }
            guards.append(
                RuntimeItems.uniqueGuard(
                    tenant: tenant, entity: entity.name, field: field.attribute, value: text, owner: key))
        }
        return EntityRow(tenant: tenant, key: key, item: row, guards: guards)
    }

    /// One version of one `data` attribute in AME's terms.
    struct AttributeVersion {
        var tenant: Tenant
        var dataType: String
        var identity: String
        var attribute: String
        var version: String
        var value: String
        var active: Bool
        var updatedBy: String?
        var createdAt: String
        var updatedAt: String
        var item: Item
    }

    static let versionAttributes: Set<String> = [
        "data_type_attribute_name", "value_version_uuid", "data_identity", partitionAttribute, "value", "status",
        "updated_by", "created_at", "updated_at", "endpoint_id", "part_id",
    ]

    func attributeVersion(_ item: Item, table: Table) throws(MigrationError) -> AttributeVersion {
        let problem = { (attribute: String, text: String) in
            MigrationError.invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: attribute, problem: text)
        }
        try Self.refuseUnknownAttributes(item, allowed: Self.versionAttributes, table: table, what: "a `data` version")
        let name = try Self.string("data_type_attribute_name", of: item, table: table, required: true)!
        let dataTypes = registry.entities.compactMap(\.dataType).sorted { $0.count > $1.count }
        guard let dataType = dataTypes.first(where: { name.hasPrefix("\($0)-") && name.count > $0.count + 1 }) else {
            throw problem(
                "data_type_attribute_name",
                "`\(name)` is not `<data type>-<attribute>` of a known data type (known: \(dataTypes.sorted().joined(separator: ", ")))"
            )
        }
        let attribute = String(name.dropFirst(dataType.count + 1))
        let version = try Self.string("value_version_uuid", of: item, table: table, required: true)!
        let identity = try Self.string("data_identity", of: item, table: table, required: true)!
        let tenant = try Self.tenant(of: item, table: table)
        guard case .string(let value)? = item["value"] else {
            throw problem("value", "is missing or not a string (the original stores every value as a string)")
        }
        let status = item["status"]
        guard status == "active" || status == "inactive" else {
            throw problem("status", "is not `active` or `inactive`")
        }
        let updatedBy = try Self.string("updated_by", of: item, table: table, required: false)
        let createdAt = try Self.timestamp("created_at", of: item, table: table, required: true)!
        let updatedAt = try Self.timestamp("updated_at", of: item, table: table, required: true)!
        var stored = RuntimeItems.attributeVersion(
            tenant: tenant, dataType: dataType, id: identity, attribute: attribute, version: version,
            value: .string(value), status: status == "active" ? "active" : "inactive", updatedBy: updatedBy ?? "",
            createdAt: createdAt, updatedAt: updatedAt)
        if updatedBy == nil { stored["updated_by"] = nil }
        return AttributeVersion(
            tenant: tenant, dataType: dataType, identity: identity, attribute: attribute, version: version,
            value: value,
            active: status == "active", updatedBy: updatedBy, createdAt: createdAt, updatedAt: updatedAt, item: stored)
    }

    /// An entity's active `data` item from its active versions (the newest one of an attribute
    /// wins if the original has several).
    static func activeData(tenant: Tenant, dataType: String, identity: String, versions: [AttributeVersion]) -> Item {
        var newest: [String: AttributeVersion] = [:]
        for version in versions where version.active {
            if let current = newest[version.attribute],
                (current.updatedAt, current.version) >= (version.updatedAt, version.version)
            {
                continue
            }
            newest[version.attribute] = version
        }
        var values: [String: ItemValue] = [:]
        var entries: [String: ItemValue] = [:]
        for (attribute, version) in newest {
            values[attribute] = .string(version.value)
            entries[attribute] = RuntimeItems.activeVersionEntry(
                version: version.version, updatedBy: version.updatedBy.map(ItemValue.string) ?? .null,
                createdAt: .string(version.createdAt))
        }
        let updatedAt = newest.values.map(\.updatedAt).max() ?? ""
        return RuntimeItems.activeData(
            tenant: tenant, dataType: dataType, id: identity, values: values, versions: entries, version: 1,
            updatedAt: updatedAt)
    }

    static let historyAttributes: Set<String> = [
        "id", "timestamp", "type", "log", "data_diff", "updated_by", "updated_at",
    ]

    /// The largest `timestamp` (in seconds) that has a four-digit year.
    static let latestHistorySecond: Int64 = 253_402_300_799

    /// An audit record in AME's terms, for the tenant `tenantOf` gives its id. Its numeric
    /// `timestamp` is kept as it is; the key orders it by that instant among AME's own records.
    func historyRecord(_ item: Item, table: Table, tenant tenantOf: (String) -> Tenant) throws(MigrationError) -> Item {
        let problem = { (attribute: String, text: String) in
            MigrationError.invalidItem(
                table: table.name, key: table.describeKey(of: item), attribute: attribute, problem: text)
        }
        try Self.refuseUnknownAttributes(item, allowed: Self.historyAttributes, table: table, what: "an audit record")
        let id = try Self.string("id", of: item, table: table, required: true)!
        guard case .number(let digits)? = item["timestamp"], let seconds = Int64(digits), seconds >= 0,
            seconds <= Self.latestHistorySecond
        else {
            throw problem("timestamp", "is not a whole number of seconds from 0 to \(Self.latestHistorySecond)")
        }
        let type = try Self.string("type", of: item, table: table, required: true)!
        let log = try Self.string("log", of: item, table: table, required: false)
        let updatedBy = try Self.string("updated_by", of: item, table: table, required: false)
        let updatedAt = try Self.timestamp("updated_at", of: item, table: table, required: false)
        var diff: [String: ItemValue]?
        switch item["data_diff"] {
        case nil: diff = nil
        case .map(let map)?: diff = map
        default: throw problem("data_diff", "is not a map")
        }
        let at = Timestamp(secondsSince1970: seconds).iso8601
        var record = RuntimeItems.history(
            tenant: tenantOf(id), id: id, type: type, timestamp: at, event: "original-\(digits)", log: log ?? "",
            diff: diff ?? [:], updatedBy: updatedBy ?? "")
        record["timestamp"] = .number(digits)
        if log == nil { record["log"] = nil }
        if diff == nil { record["data_diff"] = nil }
        if updatedBy == nil { record["updated_by"] = nil }
        if let updatedAt { record["updated_at"] = .string(updatedAt) }
        return record
    }
}

/// Why a migration or its verification stopped. Nothing of the original is ever changed.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// A table is missing or has keys the original's layout does not have.
    case wrongTables([String])
    /// A table cannot be described or read with the credentials at hand.
    case cannotRead(table: String, reason: String)
    /// Items the original's layout does not allow; nothing was written.
    case invalidItems([MigrationError])
    case invalidItem(table: String, key: String, attribute: String, problem: String)
    /// Two items of one tenant claim one value of a `unique` field.
    case duplicateUniqueValue(table: String, field: String, value: String, keys: [String], tenant: String)
    /// AME's tables would be the original's.
    case samePrefix(String)
    /// `ame migrate layout --entity` names no entity of the schema.
    case unknownEntity(String, known: [String], suggestion: String?)
    /// A table to read does not exist (`role`: source or target).
    case missingTable(String, role: String)
    /// The source table's keys are not the entity's.
    case sourceKeysDiffer(table: String, found: String, expected: String)
    /// An in-place backfill of a table whose indexes compose no attribute.
    case nothingToBackfill(entity: String, table: String)

    public var description: String {
        switch self {
        case .wrongTables(let problems):
            "the original's tables are not as expected (nothing was written):\n  " + problems.joined(separator: "\n  ")
        case .cannotRead(let table, let reason):
            "cannot read \(table) (the migration needs dynamodb:DescribeTable and dynamodb:Scan on the original's tables; nothing was written): \(reason)"
        case .invalidItems(let errors):
            "\(errors.count >= OriginalMigration.maxReportedErrors ? "at least " : "")\(errors.count) item(s) of the original do not fit its layout (nothing was written; fix them on the original's side and run again):\n  "
                + errors.map(\.description).joined(separator: "\n  ")
        case .invalidItem(let table, let key, let attribute, let problem):
            "\(table) item (\(key)): attribute `\(attribute)` \(problem)"
        case .duplicateUniqueValue(let table, let field, let value, let keys, let tenant):
            "\(table): \(field) `\(value)` is used by \(keys.joined(separator: " and ")) in tenant \(tenant), but AME keeps \(field) unique per tenant: change one of them on the original's side"
        case .samePrefix(let prefix):
            "AME's tables cannot share the original's prefix `\(prefix)` (their keys differ): set AME_TABLE_PREFIX to a prefix of AME's own, e.g. ame-v2-"
        case .unknownEntity(let name, let known, let suggestion):
            "the schema has no entity `\(name)`\(suggestion.map { " (did you mean `\($0)`?)" } ?? ""); its entities: \(known.joined(separator: ", "))"
        case .missingTable(let name, let role):
            "the \(role) table `\(name)` does not exist in this store (nothing was written): check the name with `ame tables list`, and the store settings (AME_STORE, AME_TABLE_PREFIX, AWS_*)"
        case .sourceKeysDiffer(let table, let found, let expected):
            "the keys of `\(table)` are \(found), but the entity's are \(expected) (nothing was written): give --from-table the entity's old table"
        case .nothingToBackfill(let entity, let table):
            "\(entity)'s table `\(table)` has no global index with a `partition` field, so its items need no composed attribute (nothing was written): to copy the entity into another layout, declare its new `table` and pass the old one with --from-table"
        }
    }
}
