/// One of the runtime's own records (`AttributeValue`, `ActivityHistory`, presigned uploads), as
/// `ame-codegen` emits it: its GraphQL names and, per field, the stored attribute it answers.
/// The executor plans these fields from this, as it plans an entity's from its definition.
public struct SystemRecordDefinition: Sendable {
    public var name: String
    /// The record's types and fields: `objectType`, `listType` and `listField` (when it has a
    /// page type), the write payload and its field (`upsertPayload`, `getField`), `deletePayload`.
    public var graphQL: GraphQLNames
    public var fields: [SystemFieldDefinition]

    public init(name: String, graphQL: GraphQLNames, fields: [SystemFieldDefinition]) {
        self.name = name
        self.graphQL = graphQL
        self.fields = fields
    }
}

/// A field of a system record: the stored attribute it answers, and how.
public struct SystemFieldDefinition: Sendable {
    public var graphQLName: String
    public var attribute: String
    public var conversion: SystemFieldConversion
    /// The attribute answered when `attribute` is absent (older records).
    public var fallback: String?

    public init(
        graphQLName: String, attribute: String, conversion: SystemFieldConversion = .value, fallback: String? = nil
    ) {
        self.graphQLName = graphQLName
        self.attribute = attribute
        self.conversion = conversion
        self.fallback = fallback
    }
}

/// How a system record's stored value is answered.
public enum SystemFieldConversion: Sendable {
    /// As stored.
    case value
    /// As text: a string as it is, any other value as JSON text (`AttributeValueType.value`).
    case text
    /// A stored ISO 8601 time, in the `DateTime` scalar's form.
    case dateTime
    /// Whole seconds since 1970 as a string of digits (`Decimal`), from a number or ISO 8601 text.
    case seconds
    /// JSON with its object keys in camelCase (`JSONCamelCase`).
    case camelCase

    /// The answer for a stored value.
    func answer(_ value: ItemValue?) -> JSONValue {
        guard let value else { return .null }
        switch self {
        case .value: return value.json
        case .text: return SystemRecords.valueText(value)
        case .dateTime:
            guard case .string(let text) = value else { return .null }
            return .string(DateTimeText.answer(text))
        case .seconds: return SystemRecords.seconds(value).map { .string(String($0)) } ?? .null
        case .camelCase: return JSONKeyCase.camelCased(value.json)
        }
    }
}
