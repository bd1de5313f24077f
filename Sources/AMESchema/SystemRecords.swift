/// The runtime's own records, present in every schema: versions of dynamic attributes
/// (`AttributeValue`), the audit trail (`ActivityHistory`) and presigned uploads, with the
/// original API's names, arguments and scalars.
///
/// They are declared here once. The generator renders their GraphQL types with the same code as
/// an entity's (object type, list type, payloads) and emits each field's stored attribute into
/// the registry; the runtime plans their fields from that, as it does an entity's. Renaming a
/// field here renames it in the SDL and in the runtime together.
public struct SystemRecord: Sendable, Equatable {
    /// `AttributeValue`: the GraphQL object type is `AttributeValueType`.
    public var name: String
    public var description: String?
    public var fields: [SystemRecordField]
    /// Whether a page type (`AttributeValueListType`) exists.
    public var hasList: Bool
    /// The write mutation's payload type (`InsertUpdateAttributeValue`), if one exists.
    public var writePayload: String?
    /// The write mutation's root field (`insertUpdateAttributeValue`).
    public var writeField: String?
    /// Whether a delete payload type (`DeleteAttributeValue`) exists.
    public var hasDelete: Bool

    public init(
        name: String, description: String?, fields: [SystemRecordField], hasList: Bool, writeField: String?,
        writePayload: String?, hasDelete: Bool
    ) {
        self.name = name
        self.description = description
        self.fields = fields
        self.hasList = hasList
        self.writeField = writeField
        self.writePayload = writePayload
        self.hasDelete = hasDelete
    }
}

/// One field of a system record: its GraphQL name and type, and the stored attribute it answers.
public struct SystemRecordField: Sendable, Equatable {
    public var name: String
    /// The GraphQL type, with `ID` standing for the schema's `id_scalar`.
    public var type: String
    public var description: String?
    /// The stored attribute the field answers.
    public var attribute: String
    /// How the stored value is answered.
    public var conversion: SystemValueConversion
    /// An attribute answered when `attribute` is absent (older records).
    public var fallback: String?

    public init(
        _ name: String, _ type: String, _ description: String? = nil, attribute: String,
        conversion: SystemValueConversion = .value, fallback: String? = nil
    ) {
        self.name = name
        self.type = type
        self.description = description
        self.attribute = attribute
        self.conversion = conversion
        self.fallback = fallback
    }
}

/// How a system record's stored value is answered.
public enum SystemValueConversion: String, Sendable, Equatable {
    /// As stored.
    case value
    /// As text: a string as it is, any other value as JSON text.
    case text
    /// A stored ISO 8601 time, in the `DateTime` scalar's form.
    case dateTime
    /// Whole seconds since 1970 as a string of digits (`Decimal`), from a number or ISO 8601 text.
    case seconds
    /// JSON with its object keys in camelCase (`JSONCamelCase`).
    case camelCase
}

extension SystemRecord {
    /// Every system record, in SDL order.
    public static let all: [SystemRecord] = [
        SystemRecord(
            name: "AttributeValue", description: "One version of one dynamic attribute of an entity's `data`.",
            fields: [
                SystemRecordField(
                    "dataTypeAttributeName", "String", "`<dataType>-<attributeName>`, e.g. `contact-industry`.",
                    attribute: "data_type_attribute_name"),
                SystemRecordField("valueVersionUuid", "ID!", attribute: "value_version_uuid"),
                SystemRecordField(
                    "dataIdentity", "ID", "The key of the entity the attribute belongs to.", attribute: "data_identity"),
                SystemRecordField(
                    "partitionKey", "String", "The tenant, `<endpointId>#<partId>`.", attribute: "tenant"),
                SystemRecordField(
                    "value", "String", "The value as text (a string as it is, any other value as JSON text).",
                    attribute: "value", conversion: .text),
                SystemRecordField(
                    "status", "String", "`active` (the value in `data`) or `inactive` (an earlier version).",
                    attribute: "status"),
                SystemRecordField("updatedBy", "String", attribute: "updated_by"),
                SystemRecordField("updatedAt", "DateTime", attribute: "updated_at", conversion: .dateTime),
                SystemRecordField("createdAt", "DateTime", attribute: "created_at", conversion: .dateTime),
                SystemRecordField("dataType", "String", attribute: "data_type"),
                SystemRecordField("attributeName", "String", attribute: "attribute_name"),
                SystemRecordField("jsonValue", "JSON", "The value as stored, as JSON.", attribute: "value"),
            ],
            hasList: true, writeField: "insertUpdateAttributeValue", writePayload: "InsertUpdateAttributeValue",
            hasDelete: true),
        SystemRecord(
            name: "ActivityHistory", description: "One audit record: a change to an entity, written with the change.",
            fields: [
                SystemRecordField("id", "ID!", "The key of the entity that changed.", attribute: "id"),
                SystemRecordField(
                    "timestamp", "Decimal", "Seconds since 1970-01-01 UTC, as a string of digits.",
                    attribute: "timestamp", conversion: .seconds),
                SystemRecordField("log", "String", attribute: "log"),
                SystemRecordField(
                    "dataDiff", "JSONCamelCase", "Old and new value of each changed field.", attribute: "data_diff",
                    conversion: .camelCase),
                SystemRecordField("type", "String", "The entity type, e.g. `ContactProfile`.", attribute: "type"),
                SystemRecordField("updatedBy", "String", attribute: "updated_by"),
                SystemRecordField(
                    "updatedAt", "DateTime", attribute: "updated_at", conversion: .dateTime, fallback: "timestamp"),
            ],
            hasList: true, writeField: "insertActivityHistory", writePayload: "InsertActivityHistory", hasDelete: true),
        SystemRecord(
            name: "PresignedUploadUrl", description: "A URL that accepts one HTTP `PUT` of an object until it expires.",
            fields: [
                SystemRecordField("url", "String", attribute: "url"),
                SystemRecordField(
                    "objectKey", "String",
                    "The object's key in the bucket: the tenant's prefix, then the key asked for.",
                    attribute: "object_key"),
                SystemRecordField("expiration", "Int", "Seconds the URL stays valid.", attribute: "expiration"),
            ],
            hasList: false, writeField: nil, writePayload: nil, hasDelete: false),
    ]

    /// The root query fields, with the original API's arguments (`ID` is the schema's `id_scalar`).
    public static let queryFields = [
        "presignedUploadUrl(objectKey: String!): PresignedUploadUrlType!",
        "attributeValue(dataTypeAttributeName: String, valueVersionUuid: ID!): AttributeValueType!",
        "attributeValueList(pageNumber: Int = 1, limit: Int = 100, nextToken: String, dataTypeAttributeName: String, dataType: String, attributeName: String, dataIdentity: ID, value: String, status: String, statuses: [String]): AttributeValueListType",
        "activityHistory(id: ID!, timestamp: Int!): ActivityHistoryType!",
        "activityHistoryList(pageNumber: Int = 1, limit: Int = 100, nextToken: String, id: ID, type: String, activityType: String, activityTypes: [String], log: String, from: DateTime, to: DateTime): ActivityHistoryListType",
    ]

    /// The root mutation fields.
    public static let mutationFields = [
        "insertUpdateAttributeValue(dataIdentity: ID!, dataTypeAttributeName: String, dataType: String, attributeName: String, status: String, value: String, jsonValue: JSON, valueVersionUuid: ID, updatedBy: String!): InsertUpdateAttributeValue",
        "deleteAttributeValue(dataTypeAttributeName: String, valueVersionUuid: ID!, updatedBy: String): DeleteAttributeValue",
        "insertActivityHistory(id: ID!, type: String, log: String, dataDiff: JSONCamelCase, updatedBy: String!): InsertActivityHistory",
        "deleteActivityHistory(id: ID!, timestamp: Int!, updatedBy: String): DeleteActivityHistory",
    ]

    /// Every GraphQL type and root field the system records generate (`AttributeValueType`,
    /// `Query.attributeValue`, …): an entity or a shared type may not take one.
    public static var generatedNames: [String] {
        var names: [String] = []
        for record in all {
            names.append(Naming.objectTypeName(record.name))
            if record.hasList { names.append(Naming.listTypeName(record.name)) }
            if let payload = record.writePayload { names.append(payload) }
            if record.hasDelete { names.append(Naming.deletePayload(record.name)) }
        }
        func rootName(_ line: String) -> String { String(line.prefix { $0 != "(" && $0 != ":" }) }
        names += queryFields.map { "Query." + rootName($0) }
        names += mutationFields.map { "Mutation." + rootName($0) }
        return names
    }

    /// A declared GraphQL type with `ID` replaced by the schema's id scalar.
    public static func graphQLType(_ declared: String, idScalar: String) -> String {
        var result = ""
        var word = ""
        func flush() {
            result += word == "ID" ? idScalar : word
            word = ""
        }
        for character in declared {
            if character.isLetter || character.isNumber || character == "_" {
                word.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }
}
