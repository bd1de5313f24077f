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
    /// The GraphQL scalar of `ID` fields and key arguments (`id_scalar`): `ID` unless set.
    public var idScalar: IDScalar
    /// The name of the root mutation type (`mutation_type`): `Mutation` unless set.
    public var mutationType: String
    /// The project's `layout` in `schema/ame.yaml`: each entity's unless it says otherwise, and
    /// the layout of the runtime's own tables (`attribute_values`, `activity_history`), which an
    /// entity's `layout` does not change.
    public var layout: Layout

    public init(
        tablePrefix: String = "ame-", objectTypes: [ObjectType] = [], entities: [Entity] = [],
        idScalar: IDScalar = .id, mutationType: String = "Mutation", layout: Layout = .local
    ) {
        self.tablePrefix = tablePrefix
        self.objectTypes = objectTypes
        self.entities = entities
        self.idScalar = idScalar
        self.mutationType = mutationType
        self.layout = layout
    }

    public func entity(named name: String) -> Entity? {
        entities.first { $0.name == name }
    }

    public func objectType(named name: String) -> ObjectType? {
        objectTypes.first { $0.name == name }
    }
}

/// The GraphQL scalar that `ID` fields and key arguments are declared with.
public enum IDScalar: String, Sendable, Equatable, CaseIterable {
    /// GraphQL's `ID` (accepts strings and integers in variables).
    case id = "ID"
    /// `String`, for APIs whose clients declare their key variables as `String`.
    case string = "String"
}

/// A JSON scalar an object or JSON field (or `data`) is served as.
public enum JSONScalar: String, Sendable, Equatable, CaseIterable {
    /// `JSON`: keys as stored.
    case json = "JSON"
    /// `JSONCamelCase`: keys in camelCase in answers, turned into snake_case when the value comes
    /// in a variable (a literal in the query is taken as written).
    case jsonCamelCase = "JSONCamelCase"
}

/// How an entity's `data` attribute values are stored and answered (`data: { values: … }`).
public enum DataValues: String, Sendable, Equatable, CaseIterable {
    /// `json`: each value keeps its JSON type.
    case json
    /// `string`: each value becomes a string when written: a string as written, any other value
    /// as its JSON text (`383` is `"383"`).
    case string
}

/// The arguments of an entity's get root field (`get:` in the YAML).
public enum GetShape: Sendable, Equatable {
    /// `contactProfile(contactUuid: ID!)`: the key alone.
    case key
    /// `get: { one_of: [contact_uuid, email] }`: every argument optional, exactly one given; each
    /// is the key or a `unique` field with a local index.
    case oneOf([String])
    /// `get: { all_of: [contact_uuid, request_uuid] }`: every argument required; the key names the
    /// row and the other fields must hold the given values, else the row is not found.
    case allOf([String])
}

/// A list filter declared under `filters:`: an argument of the list root field that tests a field.
public struct ListFilter: Sendable, Equatable {
    /// The argument's snake_case name (`category` → GraphQL `category`).
    public var argument: String
    /// The field it tests.
    public var field: String
    public var match: Match

    public init(argument: String, field: String, match: Match) {
        self.argument = argument
        self.field = field
        self.match = match
    }

    public enum Match: String, Sendable, Equatable, CaseIterable {
        /// The field equals the value.
        case equals
        /// The field's text (or, for an object, any of its text values) contains the value.
        case contains
        /// The list field has the value as one of its elements.
        case member
        /// The field equals one of the values of a list argument.
        case oneOf = "one_of"
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
    /// The scalar `data` is served as (`data: { type: contact, scalar: JSONCamelCase }`).
    public var dataScalar: JSONScalar = .json
    /// How `data`'s values are stored (`data: { type: contact, values: string }`).
    public var dataValues: DataValues = .json
    /// The get root field's arguments.
    public var get: GetShape = .key
    /// Declared list filters, beside the equality and `…Contains` arguments every list has.
    public var filters: [ListFilter] = []
    /// Tenant fields (`endpoint_id`, `part_id`) the upsert accepts as arguments; each must equal
    /// the request's tenant.
    public var tenantArguments: [String] = []
    /// `scan_budget`: list filters that no index serves are allowed on every field, each request
    /// reading at most this many items to test them; `nil`: only fields that allow it themselves.
    public var scanBudget: Int?
    /// How the entity's table is laid out (`layout:`, or the project's).
    public var layout: Layout = .local
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

    /// The field named by `key`; only for a schema that passed validation, which checks that it
    /// exists.
    public var keyField: Field {
        field(named: key)!
    }

    /// Whether an equality filter on `field` is served by the key or an index (a list reads only
    /// the matches): a local index sorted by it, a global index partitioned by it, or a global
    /// index of the tenant alone sorted by it.
    public func indexServesEquality(_ field: String) -> Bool {
        field == key
            || indexes.contains { index in
                index.global ? (index.partition ?? index.sort) == field : index.sort == field
            }
    }

    /// The scan budget of filters on `field` that no index serves; `nil` when they are refused.
    public func scanBudget(of field: String) -> Int? {
        self.field(named: field)?.scanBudget ?? scanBudget
    }

    /// Whether the list has the equality argument of `field`: a scalar field an index serves, or
    /// one whose scan is allowed.
    public func listHasEqualityArgument(_ field: Field) -> Bool {
        guard case .scalar(let scalar) = field.type, scalar != .json else { return false }
        return indexServesEquality(field.name) || scanBudget(of: field.name) != nil
    }

    /// Whether the list has the `…Contains` argument of `field` (never served by an index).
    public func listHasContainsArgument(_ field: Field) -> Bool {
        field.type == .scalar(.string) && scanBudget(of: field.name) != nil
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
    /// For an object or JSON field: the JSON scalar it is served as instead of its object type.
    public var scalar: JSONScalar?
    /// `scan_budget`: list filters on this field that no index serves are allowed, each request
    /// reading at most this many items to test them (over the entity's `scan_budget`).
    public var scanBudget: Int?

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

/// How an entity's table is laid out.
public enum Layout: String, Sendable, Equatable {
    /// Its indexes are local unless declared `global: true`: the tenant's items and index entries
    /// are one item collection, capped by DynamoDB at 10 GB and served by one partition.
    case local
    /// Every index is global (tenant-scoped, the tenant alone unless it has a `partition`): no
    /// item-collection cap, and a tenant's items spread over partitions as they grow.
    case global
}

/// A secondary index. A local index shares the tenant partition; a global one has its own.
public struct Index: Sendable, Equatable {
    public var name: String
    /// The partition field of a global index, stored composed with the tenant; `nil` for a local
    /// index (the tenant partition) or a global index of the tenant alone.
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

    /// Whether the index holds the tenant's items sorted by `field` in one partition: a local
    /// index, or a global one of the tenant alone (what a relation or a get by a unique field
    /// reads).
    public func isTenantSorted(by field: String) -> Bool { partition == nil && sort == field }

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
