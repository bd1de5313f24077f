/// The validated model of a project's `schema/*.yaml` files.
///
/// Produced by ``SchemaLoader`` and consumed by the code generator; it never
/// holds YAML and never renders Swift.
public struct Schema: Sendable, Equatable {
    /// Prefix of every physical table name, `ame-` unless `schema/ame.yaml` says otherwise.
    public var tablePrefix: String
    /// Shared object types declared under `types:` in `schema/ame.yaml`, sorted by name.
    public var objectTypes: [ObjectType]
    /// Entities sorted by name.
    public var entities: [Entity]

    public init(tablePrefix: String = "ame-", objectTypes: [ObjectType] = [], entities: [Entity] = []) {
        self.tablePrefix = tablePrefix
        self.objectTypes = objectTypes
        self.entities = entities
    }

    public func entity(named name: String) -> Entity? {
        entities.first { $0.name == name }
    }

    public func objectType(named name: String) -> ObjectType? {
        objectTypes.first { $0.name == name }
    }
}

/// A shared structured type (for example `Address`), stored as a map attribute.
public struct ObjectType: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var fields: [Field]
    public var sourceFile: String

    public init(name: String, description: String? = nil, fields: [Field], sourceFile: String) {
        self.name = name
        self.description = description
        self.fields = fields
        self.sourceFile = sourceFile
    }
}

/// One entity: a GraphQL object type backed by one table partitioned by tenant.
public struct Entity: Sendable, Equatable {
    public var name: String
    public var table: String
    public var description: String?
    /// The sort (range) key field; the partition key is always the tenant.
    public var key: String
    /// Declared fields in declaration order.
    public var fields: [Field]
    public var indexes: [Index]
    public var relations: [Relation]
    /// The `data_type` of the versioned dynamic attributes, when the entity has `data`.
    public var dataType: String?
    /// The YAML file this entity came from, relative to the schema folder.
    public var sourceFile: String

    public init(
        name: String, table: String, description: String? = nil, key: String, fields: [Field],
        indexes: [Index] = [], relations: [Relation] = [], dataType: String? = nil, sourceFile: String
    ) {
        self.name = name
        self.table = table
        self.description = description
        self.key = key
        self.fields = fields
        self.indexes = indexes
        self.relations = relations
        self.dataType = dataType
        self.sourceFile = sourceFile
    }

    public func field(named name: String) -> Field? {
        fields.first { $0.name == name }
    }

    public func index(named name: String) -> Index? {
        indexes.first { $0.name == name }
    }

    public var keyField: Field {
        field(named: key)!
    }
}

/// A declared field of an entity or object type.
public struct Field: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var unique: Bool
    public var generated: Generator?
    public var defaultValue: DefaultValue?
    public var description: String?
    public var deprecated: String?

    public init(
        name: String, type: FieldType, required: Bool = false, unique: Bool = false,
        generated: Generator? = nil, defaultValue: DefaultValue? = nil, description: String? = nil,
        deprecated: String? = nil
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.unique = unique
        self.generated = generated
        self.defaultValue = defaultValue
        self.description = description
        self.deprecated = deprecated
    }

    public enum Generator: String, Sendable, Equatable {
        case uuid
    }
}

/// A literal default from the YAML, already checked against the field's type.
public enum DefaultValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
}

/// The type of a field: a scalar, a list, or a shared object type.
public indirect enum FieldType: Sendable, Equatable {
    case scalar(Scalar)
    case list(FieldType)
    case object(String)

    /// The YAML spelling, e.g. `[String]`.
    public var spelling: String {
        switch self {
        case .scalar(let scalar): scalar.rawValue
        case .list(let element): "[\(element.spelling)]"
        case .object(let name): name
        }
    }
}

/// The scalar types a field may have.
public enum Scalar: String, Sendable, Equatable, CaseIterable {
    case id = "ID"
    case string = "String"
    case int = "Int"
    case float = "Float"
    case boolean = "Boolean"
    case dateTime = "DateTime"
    case json = "JSON"

    /// Whether values of this scalar are stored as DynamoDB strings (and so can key an index).
    public var isStringLike: Bool {
        switch self {
        case .id, .string, .dateTime: true
        case .int, .float, .boolean, .json: false
        }
    }
}

/// A secondary index. A local index shares the tenant partition; a global one has its own.
public struct Index: Sendable, Equatable {
    public var name: String
    /// The partition field of a global index; `nil` for a local index (tenant partition).
    public var partition: String?
    public var sort: String
    public var global: Bool
    public var projection: Projection

    public init(
        name: String, partition: String? = nil, sort: String, global: Bool = false, projection: Projection = .all
    ) {
        self.name = name
        self.partition = partition
        self.sort = sort
        self.global = global
        self.projection = projection
    }

    public enum Projection: Sendable, Equatable {
        case all
        case keysOnly
        case include([String])
    }
}

/// A relation between two entities, resolved through a field of the source (`belongsTo`)
/// or through an index of the target (`hasMany`).
public struct Relation: Sendable, Equatable {
    public var name: String
    public var kind: Kind
    public var target: String
    /// `belongsTo`: the field of this entity holding the target's key.
    /// `hasMany`: the field of the target holding this entity's key.
    public var via: String
    /// `hasMany`: the index of the target whose sort key is `via`.
    public var index: String?

    public init(name: String, kind: Kind, target: String, via: String, index: String? = nil) {
        self.name = name
        self.kind = kind
        self.target = target
        self.via = via
        self.index = index
    }

    public enum Kind: String, Sendable, Equatable {
        case belongsTo
        case hasMany
    }
}
