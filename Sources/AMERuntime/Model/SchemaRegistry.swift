import GraphQL

/// Everything the runtime knows about a generated schema: the SDL and the entity definitions.
/// `ame-codegen` emits one value of this type (`AMESchemaRegistry.registry`).
public struct SchemaRegistry: Sendable {
    /// The GraphQL SDL of the whole API.
    public let sdl: String
    /// The physical table name prefix (`ame-` by default).
    public private(set) var tablePrefix: String
    public let entities: [EntityDefinition]
    /// The runtime's own records, served beside the entities.
    public let systemRecords: [SystemRecordDefinition]
    /// A hash of the schema, for cache keys that must change when the schema does.
    public let schemaVersion: String
    /// How the runtime's own tables are laid out: the project's `layout` (`schema/ame.yaml`).
    public let runtimeTablesLayout: RuntimeTablesLayout

    public init(
        sdl: String, tablePrefix: String, entities: [EntityDefinition],
        systemRecords: [SystemRecordDefinition] = [], schemaVersion: String,
        runtimeTablesLayout: RuntimeTablesLayout = .local
    ) {
        self.sdl = sdl
        self.tablePrefix = tablePrefix
        self.entities = entities
        self.systemRecords = systemRecords
        self.schemaVersion = schemaVersion
        self.runtimeTablesLayout = runtimeTablesLayout
    }

    /// The same schema with another table prefix (`AME_TABLE_PREFIX`).
    public func withTablePrefix(_ prefix: String) -> SchemaRegistry {
        var copy = self
        copy.tablePrefix = prefix
        return copy
    }

    public func entity(named name: String) -> EntityDefinition? {
        entities.first { $0.name == name }
    }

    public func entity(graphQLType: String) -> EntityDefinition? {
        entities.first { $0.graphQLType == graphQLType }
    }

    /// The physical name of a logical table.
    public func physicalTable(_ table: String) -> String { tablePrefix + table }

    /// Every table the schema needs: one per entity plus the runtime's own.
    public var tableDefinitions: [TableDefinition] {
        entities.map { entity in
            TableDefinition(
                name: physicalTable(entity.table), sortAttribute: entity.keyAttribute, indexes: entity.indexes)
        } + [
            TableDefinition(
                name: physicalTable(RuntimeTables.attributeValues), sortAttribute: RuntimeTables.attributeValueKey,
                indexes: [runtimeIndex(RuntimeTables.versionIndex, sortAttribute: "value_version_uuid")]
            ),
            TableDefinition(
                name: physicalTable(RuntimeTables.uniqueValues), sortAttribute: RuntimeTables.uniqueValueKey),
            TableDefinition(
                name: physicalTable(RuntimeTables.activityHistory), sortAttribute: RuntimeTables.activityHistoryKey,
                indexes: [runtimeIndex(RuntimeTables.typeIndex, sortAttribute: "type_timestamp")]
            ),
        ]
    }

    /// An index of a runtime table: local, or in the global layout a global index of the tenant
    /// alone (partitioned by the table's own `tenant` attribute, so the items need nothing added).
    private func runtimeIndex(_ name: String, sortAttribute: String) -> IndexDefinition {
        switch runtimeTablesLayout {
        case .local: IndexDefinition(name: name, sortAttribute: sortAttribute)
        case .global: IndexDefinition.global(name: name, sortAttribute: sortAttribute)
        }
    }
}

/// How the runtime's own tables (`attribute_values`, `activity_history`) hold their indexes. They
/// are shared by every entity, so only the project's `layout` moves them, never an entity's.
public enum RuntimeTablesLayout: String, Sendable, Equatable {
    /// Local secondary indexes: the tenant's records and index entries are one item collection,
    /// capped by DynamoDB at 10 GB.
    case local
    /// Global indexes of the tenant alone: no item-collection cap. Their reads are eventually
    /// consistent, so readers read what they find again by key.
    case global
}

/// The runtime's own tables behind `data` and the audit trail.
public enum RuntimeTables {
    public static let attributeValues = "attribute_values"
    /// Sort key of `attribute_values`: `A#<data_type>#<id>` for an entity's active values,
    /// `V#<data_type>#<id>#<attribute>#<version>` for each version.
    public static let attributeValueKey = "value_key"
    /// The index of `attribute_values` by version id (`value_version_uuid`).
    public static let versionIndex = "value_version_uuid-index"
    public static let activityHistory = "activity_history"
    /// Sort key of `activity_history`: `<id>#<timestamp>#<uuid>`, so two events never collide.
    public static let activityHistoryKey = "history_key"
    /// The index of `activity_history` by type and time (`type_timestamp`).
    public static let typeIndex = "type-index"

    /// The table of uniqueness guards: one item per (entity, unique field, value) in use.
    public static let uniqueValues = "unique_values"
    /// Sort key of `unique_values`: `<Entity>#<field>#<value>`.
    public static let uniqueValueKey = "unique_key"

    public static func uniqueValueKeyFor(entity: String, field: String, value: String) -> String {
        CompositeKey.encode([entity, field, value])
    }

    public static func activeDataKey(dataType: String, id: String) -> String {
        CompositeKey.encode(["A", dataType, id])
    }

    public static func versionKey(dataType: String, id: String, attribute: String, version: String) -> String {
        CompositeKey.encode(["V", dataType, id, attribute, version])
    }

    /// What every version key begins with, or every one of a data type.
    public static func versionKeyPrefix(dataType: String?) -> String {
        CompositeKey.prefix(["V"] + (dataType.map { [$0] } ?? []))
    }

    /// What the version keys of one entity's `data` begin with, or of one of its attributes.
    public static func versionKeyPrefix(dataType: String, id: String, attribute: String? = nil) -> String {
        CompositeKey.prefix(["V", dataType, id] + (attribute.map { [$0] } ?? []))
    }

    /// Sort key of an audit record: `<id>#<timestamp>#<uuid>`.
    public static func activityHistoryKeyFor(id: String, timestamp: String, event: String) -> String {
        CompositeKey.encode([id, timestamp, event])
    }

    /// What the audit records of `id` begin with, optionally from a timestamp prefix on.
    public static func activityHistoryKeyPrefix(id: String, timestamp: String? = nil) -> String {
        timestamp.map { CompositeKey.prefix([id, $0]) } ?? CompositeKey.prefix([id])
    }

    /// The sort key of an audit record in `type-index`: `<type>#<timestamp>`, the type escaped
    /// (a type is any string `insertActivityHistory` is given; one with `#` must not read as
    /// another type's records). The timestamp is a prefix or a bound of a range, so it is
    /// appended as written.
    public static func typeTimestampFor(type: String, timestamp: String) -> String {
        CompositeKey.prefix([type]) + timestamp
    }
}
