import GraphQL

/// Answers `__schema` and `__type` (GraphQL spec §4.2) from the schema the engine validates
/// against, in the SDL's declaration order: types, fields, arguments, input fields and enum
/// values are listed as the SDL (`ame schema`) declares them.
///
/// GraphQLSwift's own introspection resolvers sort every list by name and leave parts of the
/// current specification out (the schema's description, `includeDeprecated` on arguments and
/// input fields), so AME resolves introspection itself. Validation still uses GraphQLSwift's
/// introspection types, which declare every field this type resolves.
struct Introspection: Sendable {
    let schema: GraphQLSchema
    /// The SDL's `schema` description, which GraphQLSwift keeps private.
    let schemaDescription: String?

    /// Every named type: the SDL's as it declares them, then the built-in scalars and the
    /// introspection types (GraphQLSwift's type map puts a built-in scalar where it is first used).
    let types: [any GraphQLNamedType]

    init(schema: GraphQLSchema, sdl: String) {
        self.schema = schema
        let definitions = (try? parse(source: Source(body: sdl, name: "schema")))?.definitions ?? []
        schemaDescription = definitions.lazy.compactMap { ($0 as? SchemaDefinition)?.description?.value }.first
        let declared = Set(definitions.compactMap { ($0 as? any TypeDefinition)?.name.value })
        let all = Array(schema.typeMap.values)
        types = all.filter { declared.contains($0.name) } + all.filter { !declared.contains($0.name) }
    }

    /// What an introspection object stands for.
    enum Node {
        case schema
        case type(any GraphQLType)
        case field(name: String, GraphQLField)
        case inputValue(InputValue)
        case enumValue(GraphQLEnumValueDefinition)
        case directive(GraphQLDirective)

        /// The introspection type the object is of, for `__typename` and fragment conditions.
        var typeName: String {
            switch self {
            case .schema: "__Schema"
            case .type: "__Type"
            case .field: "__Field"
            case .inputValue: "__InputValue"
            case .enumValue: "__EnumValue"
            case .directive: "__Directive"
            }
        }
    }

    /// An argument or an input field.
    struct InputValue {
        var name: String
        var description: String?
        var type: any GraphQLType
        /// The default as a GraphQL literal.
        var defaultValue: String?
        var deprecationReason: String?
    }

    /// What a field of an introspection object resolves to.
    enum Value {
        case leaf(JSONValue)
        case node(Node?)
        case nodes([Node]?)
    }

    /// The value of `field` (with its `arguments`) on `node`. A field the specification does not
    /// define throws, so that it is an error at its path rather than a silent null.
    func value(of node: Node, field: String, arguments: [String: JSONValue]) throws(AMEError) -> Value {
        let includeDeprecated = arguments["includeDeprecated"] == .bool(true)
        switch (node, field) {
        case (.schema, "description"): return .leaf(Self.text(schemaDescription))
        case (.schema, "types"): return .nodes(types.map { .type($0) })
        case (.schema, "queryType"): return .node(schema.queryType.map { .type($0) })
        case (.schema, "mutationType"): return .node(schema.mutationType.map { .type($0) })
        case (.schema, "subscriptionType"): return .node(schema.subscriptionType.map { .type($0) })
        case (.schema, "directives"): return .nodes(schema.directives.map { .directive($0) })

        case (.type(let type), _): return try value(of: type, field: field, includeDeprecated: includeDeprecated)

        case (.field(let name, _), "name"): return .leaf(.string(name))
        case (.field(_, let definition), "description"): return .leaf(Self.text(definition.description))
        case (.field(_, let definition), "args"):
            return .nodes(
                definition.args.filter { includeDeprecated || $0.value.deprecationReason == nil }.map {
                    name, argument in
                    .inputValue(
                        InputValue(
                            name: name, description: argument.description, type: argument.type,
                            defaultValue: Self.literal(argument.defaultValue, node: argument.astNode),
                            deprecationReason: argument.deprecationReason))
                })
        case (.field(_, let definition), "type"): return .node(.type(definition.type))
        case (.field(_, let definition), "isDeprecated"): return .leaf(.bool(definition.deprecationReason != nil))
        case (.field(_, let definition), "deprecationReason"): return .leaf(Self.text(definition.deprecationReason))

        case (.inputValue(let input), "name"): return .leaf(.string(input.name))
        case (.inputValue(let input), "description"): return .leaf(Self.text(input.description))
        case (.inputValue(let input), "type"): return .node(.type(input.type))
        case (.inputValue(let input), "defaultValue"): return .leaf(Self.text(input.defaultValue))
        case (.inputValue(let input), "isDeprecated"): return .leaf(.bool(input.deprecationReason != nil))
        case (.inputValue(let input), "deprecationReason"): return .leaf(Self.text(input.deprecationReason))

        case (.enumValue(let value), "name"): return .leaf(.string(value.name))
        case (.enumValue(let value), "description"): return .leaf(Self.text(value.description))
        case (.enumValue(let value), "isDeprecated"): return .leaf(.bool(value.isDeprecated))
        case (.enumValue(let value), "deprecationReason"): return .leaf(Self.text(value.deprecationReason))

        case (.directive(let directive), "name"): return .leaf(.string(directive.name))
        case (.directive(let directive), "description"): return .leaf(Self.text(directive.description))
        case (.directive(let directive), "isRepeatable"): return .leaf(.bool(directive.isRepeatable))
        case (.directive(let directive), "locations"):
            return .leaf(.array(directive.locations.map { .string($0.rawValue) }))
        case (.directive(let directive), "args"):
            return .nodes(Self.inputValues(directive.args, includeDeprecated: includeDeprecated))

        default: throw AMEError.unresolvedField(type: node.typeName, field: field)
        }
    }

    private func value(of type: any GraphQLType, field: String, includeDeprecated: Bool) throws(AMEError) -> Value {
        switch field {
        case "kind": return .leaf(.string(Self.kind(of: type).rawValue))
        case "name": return .leaf(Self.text((type as? any GraphQLNamedType)?.name))
        case "description": return .leaf(Self.text(Self.description(of: type)))
        case "specifiedByURL": return .leaf(Self.text((type as? GraphQLScalarType)?.specifiedByURL))
        case "fields":
            let fields: GraphQLFieldMap
            do {
                switch type {
                case let object as GraphQLObjectType: fields = try object.fields()
                case let interface as GraphQLInterfaceType: fields = try interface.fields()
                default: return .nodes(nil)
                }
            } catch {
                throw AMEError.internalError
            }
            return .nodes(
                fields.filter { includeDeprecated || $0.value.deprecationReason == nil }.map { .field(name: $0, $1) })
        case "interfaces":
            do {
                switch type {
                case let object as GraphQLObjectType: return .nodes(try object.interfaces().map { .type($0) })
                case let interface as GraphQLInterfaceType:
                    return .nodes(try interface.interfaces().map { .type($0) })
                default: return .nodes(nil)
                }
            } catch {
                throw AMEError.internalError
            }
        case "possibleTypes":
            guard let abstract = type as? any GraphQLAbstractType else { return .nodes(nil) }
            return .nodes(schema.getPossibleTypes(abstractType: abstract).map { .type($0) })
        case "enumValues":
            guard let enumType = type as? GraphQLEnumType else { return .nodes(nil) }
            return .nodes(enumType.values.filter { includeDeprecated || !$0.isDeprecated }.map { .enumValue($0) })
        case "inputFields":
            guard let input = type as? GraphQLInputObjectType else { return .nodes(nil) }
            let fields: InputObjectFieldMap
            do {
                fields = try input.fields()
            } catch {
                throw AMEError.internalError
            }
            return .nodes(
                fields.filter { includeDeprecated || $0.value.deprecationReason == nil }.map { name, field in
                    .inputValue(
                        InputValue(
                            name: name, description: field.description, type: field.type,
                            defaultValue: Self.literal(field.defaultValue, node: field.astNode),
                            deprecationReason: field.deprecationReason))
                })
        case "ofType":
            switch type {
            case let list as GraphQLList: return .node(.type(list.ofType))
            case let nonNull as GraphQLNonNull: return .node(.type(nonNull.ofType))
            default: return .node(nil)
            }
        case "isOneOf":
            guard let input = type as? GraphQLInputObjectType else { return .leaf(.null) }
            return .leaf(.bool(input.isOneOf))
        default:
            throw AMEError.unresolvedField(type: "__Type", field: field)
        }
    }

    private static func inputValues(_ arguments: [GraphQLArgumentDefinition], includeDeprecated: Bool) -> [Node] {
        arguments.filter { includeDeprecated || $0.deprecationReason == nil }.map { argument in
            .inputValue(
                InputValue(
                    name: argument.name, description: argument.description, type: argument.type,
                    defaultValue: literal(argument.defaultValue, node: argument.astNode),
                    deprecationReason: argument.deprecationReason))
        }
    }

    private static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    private static func kind(of type: any GraphQLType) -> TypeKind {
        switch type {
        case is GraphQLScalarType: .scalar
        case is GraphQLObjectType: .object
        case is GraphQLInterfaceType: .interface
        case is GraphQLUnionType: .union
        case is GraphQLEnumType: .enum
        case is GraphQLInputObjectType: .inputObject
        case is GraphQLList: .list
        default: .nonNull
        }
    }

    private static func description(of type: any GraphQLType) -> String? {
        switch type {
        case let type as GraphQLScalarType: type.description
        case let type as GraphQLObjectType: type.description
        case let type as GraphQLInterfaceType: type.description
        case let type as GraphQLUnionType: type.description
        case let type as GraphQLEnumType: type.description
        case let type as GraphQLInputObjectType: type.description
        default: nil
        }
    }

    /// A default value as GraphQL source: as written in the SDL where there is one, else
    /// printed from the value (the built-in directives' defaults).
    private static func literal(_ value: Map?, node: InputValueDefinition?) -> String? {
        if let written = node?.defaultValue { return print(ast: written) }
        guard let value, value != .undefined else { return nil }
        return literal(value)
    }

    private static func literal(_ value: Map) -> String {
        switch value {
        case .undefined, .null: return "null"
        case .string(let text): return JSONValue.string(text).jsonText
        case .array(let elements): return "[" + elements.map(literal).joined(separator: ", ") + "]"
        case .dictionary(let fields):
            return "{" + fields.map { "\($0.key): \(literal($0.value))" }.joined(separator: ", ") + "}"
        default: return value.json.jsonText
        }
    }
}
