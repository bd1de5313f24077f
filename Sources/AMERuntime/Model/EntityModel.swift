/// A generated entity model: a typed value with mappers to and from stored items, and the
/// field accessors the executor calls. `ame-codegen` writes one conformance per entity.
public protocol EntityModel: Sendable {
    /// The entity's static description: names, table, fields, indexes, relations.
    static var definition: EntityDefinition { get }
    /// Decodes a stored item (no reflection: a generated field-by-field mapper).
    init(item: Item) throws(ItemDecodingError)
    /// Encodes the model as a stored item, without the tenant attribute.
    func item() -> Item
    /// The value of the key field.
    var keyValue: String { get }
    /// The GraphQL value of the field at `index` in ``EntityDefinition/fields``.
    func fieldValue(_ index: Int) -> JSONValue
    /// For a `belongsTo` relation at `index` in ``EntityDefinition/relations``: the target's key.
    /// For a `hasMany` relation: this entity's own key.
    func relationKey(_ index: Int) -> String?
}

/// The static description of an entity, generated from its YAML.
public struct EntityDefinition: Sendable {
    public var name: String
    /// The GraphQL names derived from the entity name.
    public var graphQL: GraphQLNames
    /// The logical table name, without the project prefix.
    public var table: String
    /// The key field's stored attribute name.
    public var keyAttribute: String
    public var fields: [FieldDefinition]
    public var indexes: [IndexDefinition]
    public var relations: [RelationDefinition]
    /// The data type of `data`, when the entity has versioned dynamic attributes.
    public var dataType: String?
    /// How `data`'s keys are answered and read from variables.
    public var dataKeys: JSONKeyStyle
    /// How `data`'s values are stored.
    public var dataValues: DataValueEncoding
    /// The arguments of the get root field.
    public var get: GetDefinition
    /// Declared list filters (beyond the equality and `…Contains` arguments of every list).
    public var filters: [ListFilterDefinition]
    /// Tenant attributes (`endpoint_id`, `part_id`) the upsert accepts; each must equal the tenant's.
    public var tenantArguments: [String]
    /// Decodes an item into this entity's model.
    public var decode: @Sendable (Item) throws(ItemDecodingError) -> any EntityModel

    public init(
        name: String, graphQL: GraphQLNames, table: String, keyAttribute: String,
        fields: [FieldDefinition], indexes: [IndexDefinition], relations: [RelationDefinition], dataType: String?,
        dataKeys: JSONKeyStyle = .asStored, dataValues: DataValueEncoding = .asWritten, get: GetDefinition = .key,
        filters: [ListFilterDefinition] = [],
        tenantArguments: [String] = [],
        decode: @escaping @Sendable (Item) throws(ItemDecodingError) -> any EntityModel
    ) {
        self.name = name
        self.graphQL = graphQL
        self.table = table
        self.keyAttribute = keyAttribute
        self.fields = fields
        self.indexes = indexes
        self.relations = relations
        self.dataType = dataType
        self.dataKeys = dataKeys
        self.dataValues = dataValues
        self.get = get
        self.filters = filters
        self.tenantArguments = tenantArguments
        self.decode = decode
    }

    /// The field stored under `attribute`.
    public func field(attribute: String) -> FieldDefinition? {
        fields.first { $0.attribute == attribute }
    }

    public var graphQLType: String { graphQL.objectType }

    /// The index of the field with this GraphQL name.
    public func fieldIndex(graphQLName: String) -> Int? {
        fields.firstIndex { $0.graphQLName == graphQLName }
    }

    public func relationIndex(graphQLName: String) -> Int? {
        relations.firstIndex { $0.graphQLName == graphQLName }
    }

    public var keyField: FieldDefinition {
        fields.first { $0.attribute == keyAttribute }!
    }
}

/// The arguments of an entity's get root field (see docs/SCHEMA.md, `get`).
public enum GetDefinition: Sendable, Equatable {
    /// The key alone, required.
    case key
    /// These attributes' arguments are optional and exactly one is given: the key, or a unique
    /// field found through its local index.
    case oneOf([String])
    /// These attributes' arguments are all required: the key names the row, the others must match it.
    case allOf([String])
}

/// A declared list filter: the argument `argument` tests the field stored under `attribute`.
public struct ListFilterDefinition: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        /// The field equals the value.
        case equals
        /// The field's text, or any text value of an object field, contains the value.
        case contains
        /// The list field has the value as an element.
        case member
        /// The field equals one of the values of a list argument.
        case oneOf
    }

    public var argument: String
    public var attribute: String
    public var match: Match

    public init(argument: String, attribute: String, match: Match) {
        self.argument = argument
        self.attribute = attribute
        self.match = match
    }
}

/// How a JSON value's object keys are answered: as stored, or in camelCase (`JSONCamelCase`).
public enum JSONKeyStyle: Sendable, Equatable {
    case asStored
    case camelCase
}

/// How `data` attribute values are stored: as written, or each one as a string (a string as
/// written, any other value as its JSON text), as the API that AME replaces stores them.
public enum DataValueEncoding: Sendable, Equatable {
    case asWritten
    case strings

    /// `value` as this encoding stores it; `null` (which removes an attribute) stays `null`.
    public func stored(_ value: JSONValue) -> JSONValue {
        switch (self, value) {
        case (.asWritten, _), (.strings, .null), (.strings, .string): value
        case (.strings, _): .string(value.jsonText)
        }
    }
}

/// The GraphQL names of an entity's types and root fields (see docs/SCHEMA.md for the rules).
public struct GraphQLNames: Sendable {
    /// `ContactProfileType`.
    public var objectType: String
    /// `ContactProfileListType`.
    public var listType: String
    /// `contactProfile`: the get root field, and the payload field of the upsert.
    public var getField: String
    /// `contactProfileList`: the list root field, and the list inside the list type.
    public var listField: String
    /// `insertUpdateContactProfile`.
    public var upsertField: String
    /// `InsertUpdateContactProfile`.
    public var upsertPayload: String
    /// `deleteContactProfile`.
    public var deleteField: String
    /// `DeleteContactProfile`.
    public var deletePayload: String

    public init(
        objectType: String, listType: String, getField: String, listField: String, upsertField: String,
        upsertPayload: String, deleteField: String, deletePayload: String
    ) {
        self.objectType = objectType
        self.listType = listType
        self.getField = getField
        self.listField = listField
        self.upsertField = upsertField
        self.upsertPayload = upsertPayload
        self.deleteField = deleteField
        self.deletePayload = deletePayload
    }
}

/// One field of an entity, with what the write path needs to validate and store its input.
public struct FieldDefinition: Sendable {
    public var attribute: String
    public var graphQLName: String
    public var type: ValueType
    public var required: Bool
    public var unique: Bool
    public var generatedUUID: Bool
    /// Provided by the runtime (tenant and audit fields); not writable through arguments.
    public var isImplicit: Bool
    public var defaultValue: ItemValue?
    /// Set when an object or JSON field is served as a JSON scalar (`scalar:` in the YAML), with
    /// how its keys are answered; `nil` when it is served as its own type.
    public var jsonScalar: JSONKeyStyle?
    /// The most items a request may read to test a list filter on this field that no index
    /// serves (`scan_budget` in the YAML, under `AME_MAX_SCAN_ITEMS`); `nil` when such filters
    /// are not offered.
    public var scanBudget: Int?

    public init(
        attribute: String, graphQLName: String, type: ValueType, required: Bool = false, unique: Bool = false,
        generatedUUID: Bool = false, isImplicit: Bool = false, defaultValue: ItemValue? = nil,
        jsonScalar: JSONKeyStyle? = nil, scanBudget: Int? = nil
    ) {
        self.scanBudget = scanBudget
        self.jsonScalar = jsonScalar
        self.attribute = attribute
        self.graphQLName = graphQLName
        self.type = type
        self.required = required
        self.unique = unique
        self.generatedUUID = generatedUUID
        self.isImplicit = isImplicit
        self.defaultValue = defaultValue
    }
}

/// The runtime view of a field type, used to convert GraphQL input into stored values.
public indirect enum ValueType: Sendable {
    case string
    case int
    case float
    case boolean
    case json
    case list(ValueType)
    /// A shared object type: its GraphQL output type name and its fields.
    case object(String, [ObjectFieldDefinition])
}

/// One field of a shared object type.
public struct ObjectFieldDefinition: Sendable {
    public var attribute: String
    public var graphQLName: String
    public var type: ValueType

    public init(attribute: String, graphQLName: String, type: ValueType) {
        self.attribute = attribute
        self.graphQLName = graphQLName
        self.type = type
    }
}

/// A relation between entities, resolved by the executor in batches.
public struct RelationDefinition: Sendable {
    public enum Kind: Sendable {
        case belongsTo
        case hasMany
    }

    public var name: String
    public var graphQLName: String
    public var kind: Kind
    public var target: String
    /// `belongsTo`: this entity's attribute holding the target key. `hasMany`: the target's attribute.
    public var viaAttribute: String
    /// `hasMany`: the target's index whose sort key is `viaAttribute`.
    public var index: String?

    public init(name: String, graphQLName: String, kind: Kind, target: String, viaAttribute: String, index: String?) {
        self.name = name
        self.graphQLName = graphQLName
        self.kind = kind
        self.target = target
        self.viaAttribute = viaAttribute
        self.index = index
    }
}

/// The fields every tenant entity carries without declaring them.
public struct AuditFields: Sendable, Equatable {
    public var endpointId: String?
    public var partId: String?
    public var updatedBy: String?
    public var createdAt: String?
    public var updatedAt: String?
    /// Optimistic concurrency version, incremented by every write.
    public var version: Int
    /// The stored tenant partition key (`<endpoint_id>#<part_id>`), answered as `partitionKey`.
    public var partitionKey: String?

    public init(
        endpointId: String? = nil, partId: String? = nil, updatedBy: String? = nil, createdAt: String? = nil,
        updatedAt: String? = nil, version: Int = 0, partitionKey: String? = nil
    ) {
        self.partitionKey = partitionKey
        self.endpointId = endpointId
        self.partId = partId
        self.updatedBy = updatedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    public init(item: Item) throws(ItemDecodingError) {
        endpointId = try item.string("endpoint_id")
        partId = try item.string("part_id")
        updatedBy = try item.string("updated_by")
        createdAt = try item.string("created_at")
        updatedAt = try item.string("updated_at")
        version = try item.int("version") ?? 0
        partitionKey = try item.string(tenantAttribute)
    }

    public func write(into item: inout Item) {
        if let endpointId { item["endpoint_id"] = .string(endpointId) }
        if let partId { item["part_id"] = .string(partId) }
        if let updatedBy { item["updated_by"] = .string(updatedBy) }
        if let createdAt { item["created_at"] = .string(createdAt) }
        if let updatedAt { item["updated_at"] = .string(updatedAt) }
        item["version"] = .number(String(version))
    }

    /// The implicit fields in the order they appear after an entity's declared fields.
    public static let fieldDefinitions: [FieldDefinition] = [
        FieldDefinition(attribute: "endpoint_id", graphQLName: "endpointId", type: .string, isImplicit: true),
        FieldDefinition(attribute: "part_id", graphQLName: "partId", type: .string, isImplicit: true),
        FieldDefinition(attribute: "updated_by", graphQLName: "updatedBy", type: .string, isImplicit: true),
        FieldDefinition(attribute: "created_at", graphQLName: "createdAt", type: .string, isImplicit: true),
        FieldDefinition(attribute: "updated_at", graphQLName: "updatedAt", type: .string, isImplicit: true),
        FieldDefinition(attribute: tenantAttribute, graphQLName: "partitionKey", type: .string, isImplicit: true),
    ]

    /// The GraphQL value of implicit field `index` (0 = endpointId … 5 = partitionKey).
    public func value(_ index: Int) -> JSONValue {
        let value: String? =
            switch index {
            case 0: endpointId
            case 1: partId
            case 2: updatedBy
            case 3: createdAt.map(DateTimeText.answer)
            case 4: updatedAt.map(DateTimeText.answer)
            default: partitionKey
            }
        return value.map(JSONValue.string) ?? .null
    }
}

// MARK: - Helpers used by generated field accessors

extension Optional where Wrapped == String {
    public var json: JSONValue { map(JSONValue.string) ?? .null }
}

extension Optional where Wrapped == Int {
    public var json: JSONValue { map(JSONValue.int) ?? .null }
}

extension Optional where Wrapped == Double {
    public var json: JSONValue { map(JSONValue.double) ?? .null }
}

extension Optional where Wrapped == Bool {
    public var json: JSONValue { map(JSONValue.bool) ?? .null }
}

extension Optional where Wrapped == JSONValue {
    public var json: JSONValue { self ?? .null }
}

/// A generated shared object type (e.g. `Address`), stored as a map attribute.
public protocol ObjectModel: Sendable {
    init(item: Item) throws(ItemDecodingError)
    func item() -> Item
    /// The GraphQL value, keyed by GraphQL field names.
    var json: JSONValue { get }
}

extension ObjectModel {
    /// Decodes an optional map attribute (used by generated mappers and as a list element decoder).
    public static func decode(_ value: ItemValue?, _ name: String) throws(ItemDecodingError) -> Self? {
        switch value {
        case nil, .null?: return nil
        case .map(let map)?: return try Self(item: map)
        default: throw ItemDecodingError(attribute: name, expected: "a map")
        }
    }
}

extension EntityDefinition {
    /// Sets (or removes) the composed partition attribute of each of the entity's global indexes
    /// on a stored item of the tenant `partition`: every write of an item goes through this, so
    /// a global index holds only entries whose partition names their tenant.
    public func composeIndexPartitions(of item: inout Item, tenant partition: String) {
        for index in indexes where index.isGlobal {
            guard let attribute = index.partitionAttribute, attribute != tenantAttribute else { continue }
            item[attribute] = index.partitionValue(
                tenant: partition, fieldValue: index.partitionField.flatMap { item[$0] })
        }
    }
}
