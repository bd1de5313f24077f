import GraphQL

/// What resolving one field of one type does. Every (type, field) pair of the schema maps to one
/// case, decided once when the engine starts; the executor, the complexity analysis and the
/// system API switch over it and never compare a GraphQL name.
enum FieldPlan: Sendable {
    /// `__typename`: the name of the type it is selected on.
    case typename(String)
    /// A field the runtime has no resolver for (a schema extended by hand): `UNRESOLVED_FIELD`.
    case unresolved(type: String, field: String)

    // Root fields.
    case ping
    case get(EntityDefinition)
    case list(EntityDefinition)
    case upsert(EntityDefinition)
    case delete(EntityDefinition)
    case system(SystemRoot)
    /// `__schema` and `__type`.
    case schemaIntrospection
    case typeIntrospection

    // An entity's fields.
    /// A declared or audit field, by its index in the entity's definition.
    case field(Int)
    /// The entity's active dynamic attributes.
    case data
    case belongsTo(relation: Int, target: EntityDefinition)
    case hasMany(relation: Int, target: EntityDefinition)

    // Page types (`…ListType`) of entities and system records.
    /// The page's objects: of an entity, or system records (`nil`).
    case items(EntityDefinition?)
    case pageSize
    case pageNumber
    case total
    case nextToken

    // Mutation payloads.
    /// The written object: an entity's, or a system record (`nil`).
    case written(EntityDefinition?)
    case ok

    // Values answered from what is already loaded.
    /// A system record's field, from its stored attribute.
    case stored(SystemFieldDefinition)
    /// A field of a shared object type (`address { city }`), from the stored map.
    case member(String)
    /// A field of an introspection type, answered by ``Introspection``.
    case introspection
}

/// A field's plan, with the type its selection applies to.
struct PlannedField: Sendable {
    let plan: FieldPlan
    /// The object type of the field's sub-selection; `nil` for a leaf.
    let childType: String?
    /// Whether the field answers a page, whose objects repeat up to its `limit` (for complexity).
    let isPage: Bool
    /// Whether the field belongs to introspection (its nesting is bounded by the document's).
    let isIntrospection: Bool
    /// Whether the field's type is non-null: a root get that fails makes `data` null.
    let isNonNull: Bool

    init(
        _ plan: FieldPlan, childType: String? = nil, isPage: Bool = false, isIntrospection: Bool = false,
        isNonNull: Bool = false
    ) {
        self.plan = plan
        self.childType = childType
        self.isPage = isPage
        self.isIntrospection = isIntrospection
        self.isNonNull = isNonNull
    }
}

extension [CollectedField] {
    /// Whether a page's selection includes `total` (counted only then).
    var selectsTotal: Bool {
        contains {
            if case .total = $0.plan { return true }
            return false
        }
    }

    /// Whether an entity's selection includes `data`: its key is known as soon as the row's is, so
    /// it is read in the same batch as the row, with no level of its own.
    var selectsData: Bool {
        contains {
            if case .data = $0.plan { return true }
            return false
        }
    }
}

/// The plan of every field of every object type of the schema, built once from the generated
/// registry and the SDL the engine validates against.
struct ExecutionPlan: Sendable {
    private let types: [String: [String: PlannedField]]
    /// `Type.field` of every field of a generated type without a resolver; empty for a schema
    /// `ame-codegen` generated (a test holds it so).
    let unresolvedFields: [String]

    /// The plans of the fields of `type`.
    func fields(of type: String) -> TypeFields { TypeFields(type: type, fields: types[type] ?? [:]) }

    /// The plans of one type's fields.
    struct TypeFields {
        let type: String
        let fields: [String: PlannedField]

        /// The plan of `name`; `unresolved` for a field the type does not have (validation refuses
        /// those before execution).
        subscript(name: String) -> PlannedField {
            if let planned = fields[name] { return planned }
            return name == "__typename"
                ? PlannedField(.typename(type)) : PlannedField(.unresolved(type: type, field: name))
        }
    }

    init(schema: GraphQLSchema, registry: SchemaRegistry) {
        let entitiesByName = Dictionary(
            registry.entities.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var types: [String: [String: PlannedField]] = [:]
        var unresolved: [String] = []
        let queryType = schema.queryType?.name ?? "Query"
        let mutationType = schema.mutationType?.name

        /// What each generated type is, by name.
        enum Kind {
            case root
            case entity(EntityDefinition)
            case page(EntityDefinition?)
            case payload(EntityDefinition?)
            case record(SystemRecordDefinition)
            case shared
            case introspection
        }
        var kinds: [String: Kind] = [queryType: .root]
        if let mutationType { kinds[mutationType] = .root }
        for entity in registry.entities {
            kinds[entity.graphQL.objectType] = .entity(entity)
            kinds[entity.graphQL.listType] = .page(entity)
            kinds[entity.graphQL.upsertPayload] = .payload(entity)
            kinds[entity.graphQL.deletePayload] = .payload(entity)
        }
        for record in registry.systemRecords {
            kinds[record.graphQL.objectType] = .record(record)
            kinds[record.graphQL.listType] = .page(nil)
            kinds[record.graphQL.upsertPayload] = .payload(nil)
            kinds[record.graphQL.deletePayload] = .payload(nil)
        }
        var roots: [String: FieldPlan] = ["ping": .ping]
        for root in SystemRoot.allCases { roots[root.rawValue] = .system(root) }
        for entity in registry.entities {
            roots[entity.graphQL.getField] = .get(entity)
            roots[entity.graphQL.listField] = .list(entity)
            roots[entity.graphQL.upsertField] = .upsert(entity)
            roots[entity.graphQL.deleteField] = .delete(entity)
        }

        for case let object as GraphQLObjectType in schema.typeMap.values {
            let introspectionType = object.name.hasPrefix("__")
            let kind = kinds[object.name] ?? (introspectionType ? .introspection : .shared)
            var fields: [String: PlannedField] = ["__typename": PlannedField(.typename(object.name))]
            for (name, definition) in (try? object.fields()) ?? [:] {
                let child = (getNamedType(type: definition.type) as? GraphQLObjectType)?.name
                let plan: FieldPlan?
                switch kind {
                case .root:
                    plan = roots[name]
                case .entity(let entity):
                    if let index = entity.fields.firstIndex(where: { $0.graphQLName == name }) {
                        plan = .field(index)
                    } else if let index = entity.relations.firstIndex(where: { $0.graphQLName == name }),
                        let target = entitiesByName[entity.relations[index].target]
                    {
                        let relation = entity.relations[index]
                        plan =
                            relation.kind == .belongsTo
                            ? .belongsTo(relation: index, target: target) : .hasMany(relation: index, target: target)
                    } else {
                        plan = name == "data" && entity.dataType != nil ? .data : nil
                    }
                case .page(let entity):
                    plan = Self.pageField(name, of: entity, registry: registry)
                case .payload(let entity):
                    if name == "ok" {
                        plan = .ok
                    } else if let entity {
                        plan = name == entity.graphQL.getField ? .written(entity) : nil
                    } else {
                        plan = registry.systemRecords.contains { $0.graphQL.getField == name } ? .written(nil) : nil
                    }
                case .record(let record):
                    plan = record.fields.first { $0.graphQLName == name }.map(FieldPlan.stored)
                case .shared:
                    plan = .member(name)
                case .introspection:
                    plan = .introspection
                }
                guard let plan else {
                    unresolved.append("\(object.name).\(name)")
                    fields[name] = PlannedField(.unresolved(type: object.name, field: name))
                    continue
                }
                let isPage: Bool
                switch plan {
                case .list, .hasMany: isPage = true
                case .system(let root): isPage = root.answersPage
                default: isPage = false
                }
                fields[name] = PlannedField(
                    plan, childType: child, isPage: isPage, isIntrospection: introspectionType,
                    isNonNull: definition.type is GraphQLNonNull)
            }
            if case .root = kind, object.name == queryType {
                fields["__schema"] = PlannedField(.schemaIntrospection, childType: "__Schema", isIntrospection: true)
                fields["__type"] = PlannedField(.typeIntrospection, childType: "__Type", isIntrospection: true)
            }
            types[object.name] = fields
        }
        self.types = types
        unresolvedFields = unresolved.sorted()
    }

    /// A field of a page type (an entity's, or a system record's when `entity` is `nil`): its
    /// objects, or its paging metadata.
    private static func pageField(_ name: String, of entity: EntityDefinition?, registry: SchemaRegistry) -> FieldPlan?
    {
        switch name {
        case "pageSize": return .pageSize
        case "pageNumber": return .pageNumber
        case "total": return .total
        case "nextToken": return .nextToken
        default:
            if let entity { return name == entity.graphQL.listField ? .items(entity) : nil }
            return registry.systemRecords.contains { $0.graphQL.listField == name } ? .items(nil) : nil
        }
    }
}
