/// Cross-file checks run after every file is parsed: names, references, keys and indexes.
struct SchemaValidator {
    let schema: Schema
    let positions: SchemaPositions
    private(set) var diagnostics: [SchemaDiagnostic] = []

    /// Fields every tenant entity has without declaring them.
    static let implicitFields = ["endpoint_id", "part_id", "updated_by", "created_at", "updated_at", "partition_key"]
    /// The implicit fields that name the tenant, which `tenant_arguments` may list.
    static let tenantFields = ["endpoint_id", "part_id"]
    /// Names the runtime uses for its own attributes and arguments.
    static let reservedFields = implicitFields + ["tenant", "version", "data"]

    init(schema: Schema, positions: SchemaPositions) {
        self.schema = schema
        self.positions = positions
    }

    func validate() -> [SchemaDiagnostic] {
        var copy = self
        copy.run()
        return copy.diagnostics
    }

    private mutating func report(_ position: SchemaPositions.Position?, file: String, _ message: String, _ fix: String)
    {
        diagnostics.append(
            SchemaDiagnostic(
                file: position?.file ?? file, line: position?.line ?? 1, column: position?.column ?? 1,
                message: message, fix: fix
            )
        )
    }

    private mutating func run() {
        var entityNames: [String: String] = [:]
        var tableNames: [String: String] = [:]
        for type in schema.objectTypes {
            checkFields(
                type.fields, ownerPath: "type.\(type.name)", owner: "type `\(type.name)`", file: type.sourceFile)
        }
        for entity in schema.entities {
            let file = entity.sourceFile
            let entityPosition = positions["entity", entity.name]
            if !Naming.isValidGraphQLName(entity.name) {
                report(
                    entityPosition, file: file, "`\(entity.name)` is not a valid GraphQL name",
                    "use letters, digits and `_`, starting with a letter")
            }
            if let other = entityNames[entity.name] {
                report(
                    entityPosition, file: file, "entity `\(entity.name)` is declared twice (also in \(other))",
                    "rename one of them")
            }
            entityNames[entity.name] = file
            if !entity.table.isEmpty {
                if let other = tableNames[entity.table] {
                    report(
                        positions["entity", entity.name, "table"], file: file,
                        "table `\(entity.table)` is used twice (also in \(other))", "give each entity its own table")
                }
                tableNames[entity.table] = file
            }
            checkFields(entity.fields, ownerPath: "entity.\(entity.name)", owner: "entity `\(entity.name)`", file: file)
            checkTableName(entity)
            checkKey(entity)
            checkIndexes(entity)
            checkRelations(entity)
            checkData(entity)
            checkGet(entity)
            checkFilters(entity)
            checkTenantArguments(entity)
        }
        checkGeneratedNames()
    }

    private mutating func checkGet(_ entity: Entity) {
        let names: [String]
        let oneOf: Bool
        switch entity.get {
        case .key: return
        case .oneOf(let list): (names, oneOf) = (list, true)
        case .allOf(let list): (names, oneOf) = (list, false)
        }
        let position = positions["entity", entity.name, "get"]
        let file = entity.sourceFile
        if !entity.key.isEmpty && !names.contains(entity.key) {
            report(
                position, file: file, "`get` of entity `\(entity.name)` does not list the key `\(entity.key)`",
                "add `\(entity.key)` to the list")
        }
        var seen = Set<String>()
        for name in names {
            if !seen.insert(name).inserted {
                report(position, file: file, "`get` lists `\(name)` twice", "remove one of them")
            }
            guard let field = entity.field(named: name) else {
                let hint =
                    Suggestion.closest(to: name, in: entity.fields.map(\.name)).map { "did you mean `\($0)`?" }
                    ?? "list declared fields of `\(entity.name)`"
                report(position, file: file, "`get` uses unknown field `\(name)`", hint)
                continue
            }
            guard field.type.isStringLike else {
                report(
                    position, file: file, "`get` uses field `\(name)` of type \(field.type.spelling)",
                    "use ID or String fields")
                continue
            }
            guard oneOf, name != entity.key else { continue }
            if !field.unique {
                report(
                    position, file: file,
                    "`get` finds `\(entity.name)` by `\(name)`, which is not `unique`",
                    "add `unique: true` to `\(name)`, or use `all_of` to require the key as well")
            }
            if !entity.indexes.contains(where: { $0.isTenantSorted(by: name) }) {
                report(
                    position, file: file,
                    "no index of `\(entity.name)` in the tenant's partition can find it by `\(name)`",
                    "add `\(name)-index: { sort: \(name) }` to `indexes`")
            }
        }
    }

    /// Argument names every list root field has already.
    private func generatedListArguments(_ entity: Entity) -> Set<String> {
        var names: Set<String> = ["pageNumber", "limit", "nextToken"]
        for field in entity.fields {
            if case .scalar(let scalar) = field.type, scalar != .json { names.insert(Naming.camelCase(field.name)) }
            if field.type == .scalar(.string) { names.insert(Naming.camelCase(field.name) + "Contains") }
        }
        return names
    }

    private mutating func checkFilters(_ entity: Entity) {
        let taken = generatedListArguments(entity)
        var seen = Set<String>()
        for filter in entity.filters {
            let position = positions["entity", entity.name, "filter", filter.argument]
            let file = entity.sourceFile
            let argument = Naming.camelCase(filter.argument)
            if !Naming.isValidGraphQLName(argument) {
                report(
                    position, file: file, "filter name `\(filter.argument)` is not a valid GraphQL name",
                    "use lower_snake_case letters and digits")
            } else if taken.contains(argument) || !seen.insert(argument).inserted {
                report(
                    position, file: file,
                    "filter `\(filter.argument)` would be the argument `\(argument)`, which the list already has",
                    "rename the filter")
            }
            guard let field = entity.field(named: filter.field) else {
                let hint =
                    Suggestion.closest(to: filter.field, in: entity.fields.map(\.name)).map { "did you mean `\($0)`?" }
                    ?? "name a declared field of `\(entity.name)`"
                report(position, file: file, "filter `\(filter.argument)` tests unknown field `\(filter.field)`", hint)
                continue
            }
            let fits: Bool
            let fix: String
            switch (filter.match, field.type) {
            case (.member, .list(.scalar(let scalar))):
                (fits, fix) = (scalar != .json, "")
            case (.member, _):
                (fits, fix) = (false, "use `member` on a list of scalars, e.g. `[String]`")
            case (.contains, .scalar(.string)), (.contains, .object):
                (fits, fix) = (true, "")
            case (.contains, _):
                (fits, fix) = (false, "use `contains` on a String field or an object field")
            case (.equals, .scalar(let scalar)), (.oneOf, .scalar(let scalar)):
                (fits, fix) = (scalar != .json, "use `\(filter.match.rawValue)` on a scalar field other than JSON")
            case (.equals, _), (.oneOf, _):
                (fits, fix) = (false, "use `\(filter.match.rawValue)` on a scalar field other than JSON")
            }
            if !fits {
                report(
                    position, file: file,
                    "filter `\(filter.argument)` cannot `\(filter.match.rawValue)` field `\(filter.field)` of type \(field.type.spelling)",
                    fix)
            } else if !(filter.match == .equals && entity.indexServesEquality(field.name)),
                entity.scanBudget(of: field.name) == nil
            {
                let fix =
                    filter.match == .equals
                    ? "add `\(field.name)-index: { sort: \(field.name) }` to `indexes`, or allow the scan with `scan_budget: <items>` on the field or the entity"
                    : "no index can serve `\(filter.match.rawValue)`: allow the scan with `scan_budget: <items>` on the field or the entity"
                report(
                    position, file: file,
                    "filter `\(filter.argument)` on `\(filter.field)` is served by no index, and `\(entity.name)` allows no scan of it",
                    fix)
            }
        }
    }

    private mutating func checkTenantArguments(_ entity: Entity) {
        let position = positions["entity", entity.name, "tenant_arguments"]
        var seen = Set<String>()
        for name in entity.tenantArguments {
            if !Self.tenantFields.contains(name) {
                let hint =
                    Suggestion.closest(to: name, in: Self.tenantFields).map { "did you mean `\($0)`?" }
                    ?? "list \(Self.tenantFields.map { "`\($0)`" }.joined(separator: " or "))"
                report(position, file: entity.sourceFile, "`\(name)` is not a tenant field", hint)
            } else if !seen.insert(name).inserted {
                report(
                    position, file: entity.sourceFile, "`tenant_arguments` lists `\(name)` twice", "remove one of them")
            }
        }
    }

    /// Names the generated Swift relies on; an entity or type with one of them would shadow it.
    static let reservedTypeNames: Set<String> = Set([
        "Query", "Mutation", "Subscription", "JSON", "DateTime", "Item", "ItemValue", "JSONValue", "JSONObject",
        "Tenant", "AuditFields", "EntityModel", "ObjectModel", "EntityDefinition", "FieldDefinition",
        "RelationDefinition", "IndexDefinition", "SchemaRegistry", "AMESchemaRegistry", "GraphQLNames", "String", "Int",
        "Double", "Bool", "Array", "Dictionary", "Optional", "JSONCamelCase", "Decimal", "SystemRecordDefinition",
        "SystemFieldDefinition", "PresignedUploadUrlType",
    ]).union(SystemRecord.all.map(\.name))

    /// Every GraphQL type, Swift type and root field the generator will emit must be unique.
    private mutating func checkGeneratedNames() {
        // The runtime's own API (attribute values and the audit trail).
        var owners: [String: String] = [:]
        for name in SystemRecord.generatedNames {
            owners[name] = "AME's attribute values, audit trail and uploads"
        }
        if schema.mutationType != "Mutation" {
            let position = positions["settings", "mutation_type"]
            let file = position?.file ?? "schema/ame.yaml"
            if Self.reservedTypeNames.contains(schema.mutationType) || Scalar(rawValue: schema.mutationType) != nil {
                report(
                    position, file: file, "`mutation_type` `\(schema.mutationType)` is reserved", "choose another name")
            }
            if let other = owners[schema.mutationType] {
                report(
                    position, file: file, "`mutation_type` `\(schema.mutationType)` is generated by \(other) too",
                    "choose another name")
            }
            owners[schema.mutationType] = "`mutation_type`"
        }
        func claim(_ name: String, by owner: String, position: SchemaPositions.Position?, file: String) {
            if let other = owners[name], other != owner {
                report(
                    position, file: file, "\(owner) would generate `\(name)`, which \(other) generates too",
                    "rename one of them")
            } else {
                owners[name] = owner
            }
        }
        for type in schema.objectTypes {
            let position = positions["type", type.name]
            if !Naming.isValidGraphQLName(type.name) {
                report(
                    position, file: type.sourceFile, "type name `\(type.name)` is not a valid GraphQL name",
                    "use letters, digits and `_`, starting with a letter")
            }
            if Self.reservedTypeNames.contains(type.name) || Scalar(rawValue: type.name) != nil {
                report(position, file: type.sourceFile, "type name `\(type.name)` is reserved", "choose another name")
            }
            let owner = "type `\(type.name)`"
            for name in [type.name, Naming.objectOutputType(type.name), Naming.objectInputType(type.name)] {
                claim(name, by: owner, position: position, file: type.sourceFile)
            }
        }
        for entity in schema.entities {
            let position = positions["entity", entity.name]
            if Self.reservedTypeNames.contains(entity.name) {
                report(
                    position, file: entity.sourceFile, "entity name `\(entity.name)` is reserved", "choose another name"
                )
            }
            let owner = "entity `\(entity.name)`"
            let names = [
                entity.name, Naming.objectTypeName(entity.name), Naming.listTypeName(entity.name),
                Naming.upsertPayload(entity.name), Naming.deletePayload(entity.name),
                "Query." + Naming.getField(entity.name), "Query." + Naming.listField(entity.name),
                "Mutation." + Naming.upsertField(entity.name), "Mutation." + Naming.deleteField(entity.name),
            ]
            for name in names { claim(name, by: owner, position: position, file: entity.sourceFile) }
        }
    }

    /// DynamoDB table and index names: 3 to 255 of `[A-Za-z0-9_.-]`.
    static func isValidTableName(_ name: String) -> Bool {
        (3...255).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
                    || byte == 45 || byte == 46
            }
    }

    private mutating func checkTableName(_ entity: Entity) {
        guard !entity.table.isEmpty else { return }
        let physical = schema.tablePrefix + entity.table
        if !Self.isValidTableName(physical) {
            report(
                positions["entity", entity.name, "table"], file: entity.sourceFile,
                "table name `\(physical)` is not a valid DynamoDB table name",
                "use 3 to 255 letters, digits, `_`, `-` or `.`")
        }
    }

    static func snakeCase(_ text: String) -> String {
        var result = ""
        for character in text {
            if character.isLetter || character.isNumber {
                if character.isUppercase, !result.isEmpty, result.last != "_" { result.append("_") }
                result += character.lowercased()
            } else if !result.isEmpty, result.last != "_" {
                result.append("_")
            }
        }
        return result
    }

    private mutating func checkData(_ entity: Entity) {
        guard let dataType = entity.dataType else { return }
        let position = positions["entity", entity.name, "data"]
        let valid = dataType.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        if !valid {
            report(
                position, file: entity.sourceFile, "data type `\(dataType)` must be lower_snake_case",
                "write e.g. `data: \(Self.snakeCase(dataType))`")
        }
        if let other = schema.entities.first(where: { $0.name < entity.name && $0.dataType == dataType }) {
            report(
                position, file: entity.sourceFile,
                "data type `\(dataType)` is also used by entity `\(other.name)`", "give each entity its own data type")
        }
    }

    private mutating func checkFields(_ fields: [Field], ownerPath: String, owner: String, file: String) {
        var seen = Set<String>()
        for field in fields {
            let position = positions.elements["\(ownerPath).field.\(field.name)"]
            if !seen.insert(field.name).inserted {
                report(
                    position, file: file, "field `\(field.name)` is declared twice in \(owner)", "remove one of them")
            }
            if Self.reservedFields.contains(field.name) {
                report(
                    position, file: file, "field name `\(field.name)` is reserved",
                    "rename the field; \(Self.reservedFields.joined(separator: ", ")) are provided by AME")
            }
            if !Naming.isValidGraphQLName(Naming.camelCase(field.name)) || field.name.isEmpty {
                report(
                    position, file: file, "field name `\(field.name)` is not a valid GraphQL name",
                    "use lower_snake_case letters and digits")
            }
            checkType(field.type, position: position, file: file, field: field.name)
            if case .list(.list) = field.type {
                report(
                    position, file: file, "field `\(field.name)` is a list of lists",
                    "use `JSON` for nested structures, or an object type with a list field")
            }
            let isPlainScalar: Bool
            if case .scalar(let scalar) = field.type { isPlainScalar = scalar != .json } else { isPlainScalar = false }
            if field.unique && !isPlainScalar {
                report(
                    position, file: file, "field `\(field.name)` of type \(field.type.spelling) cannot be `unique`",
                    "make a String, ID, Int, Float, Boolean or DateTime field unique")
            }
            if field.scalar != nil {
                let fits: Bool
                switch field.type {
                case .object, .scalar(.json): fits = true
                default: fits = false
                }
                if !fits {
                    report(
                        position, file: file,
                        "field `\(field.name)` of type \(field.type.spelling) cannot be served as a JSON scalar",
                        "remove `scalar`, or use it on an object or JSON field")
                }
            }
            if field.generated != nil && !field.type.isStringLike {
                report(
                    position, file: file,
                    "field `\(field.name)` of type \(field.type.spelling) cannot be `generated: uuid`",
                    "generate an ID or String field")
            }
        }
    }

    private mutating func checkType(_ type: FieldType, position: SchemaPositions.Position?, file: String, field: String)
    {
        switch type {
        case .scalar: break
        case .list(let element): checkType(element, position: position, file: file, field: field)
        case .object(let name):
            if schema.objectType(named: name) == nil {
                let known = Scalar.allCases.map(\.rawValue) + schema.objectTypes.map(\.name)
                let hint =
                    Suggestion.closest(to: name, in: known).map { "did you mean `\($0)`?" }
                    ?? "use \(Scalar.allCases.map(\.rawValue).joined(separator: ", ")) or a type declared under `types:` in schema/ame.yaml"
                report(position, file: file, "unknown type `\(name)` for field `\(field)`", hint)
            }
        }
    }

    private mutating func checkKey(_ entity: Entity) {
        guard !entity.key.isEmpty else { return }
        let position = positions["entity", entity.name, "key"]
        guard let field = entity.field(named: entity.key) else {
            report(
                position, file: entity.sourceFile,
                "key `\(entity.key)` of entity `\(entity.name)` is not a declared field",
                "declare `\(entity.key): { type: ID, generated: uuid }` under `fields`")
            return
        }
        if case .scalar(let scalar) = field.type, scalar.isStringLike {
        } else {
            report(
                position, file: entity.sourceFile, "key `\(entity.key)` must be an ID or String field",
                "declare it as `{ type: ID, generated: uuid }`")
        }
        if field.generated == nil && !field.required {
            report(
                position, file: entity.sourceFile, "key `\(entity.key)` is optional",
                "add `generated: uuid` or `required: true` to the field")
        }
    }

    private mutating func checkIndexes(_ entity: Entity) {
        // DynamoDB's limits per table.
        let localCount = entity.indexes.filter { !$0.global }.count
        let globalCount = entity.indexes.count - localCount
        if localCount > 5 || globalCount > 20, let index = entity.indexes.last {
            report(
                positions["entity", entity.name, "index", index.name], file: entity.sourceFile,
                "entity `\(entity.name)` declares \(localCount) local and \(globalCount) global indexes; DynamoDB allows 5 and 20",
                "remove indexes, or make some of them global")
        }
        var seen = Set<String>()
        for index in entity.indexes {
            let position = positions["entity", entity.name, "index", index.name]
            if !seen.insert(index.name).inserted {
                report(
                    position, file: entity.sourceFile, "index `\(index.name)` is declared twice", "rename one of them")
            }
            if !index.global && index.sort == entity.key {
                report(
                    position, file: entity.sourceFile,
                    "local index `\(index.name)` is sorted by the key `\(entity.key)`, as the table already is",
                    "remove the index, or sort it by another field")
            }
            if !index.global && index.projection != .all {
                report(
                    position, file: entity.sourceFile,
                    "local index `\(index.name)` must project all attributes (it serves lists and relations)",
                    "remove `projection`, or make the index `global: true`")
            }
            if case .include(let names) = index.projection {
                for name in names where entity.field(named: name) == nil {
                    report(
                        position, file: entity.sourceFile, "index `\(index.name)` projects unknown field `\(name)`",
                        "list declared fields under `projection`")
                }
            }
            if !Self.isValidTableName(index.name) {
                report(
                    position, file: entity.sourceFile, "index name `\(index.name)` is not a valid DynamoDB index name",
                    "use 3 to 255 letters, digits, `_`, `-` or `.`")
            }
            for name in [index.sort] + (index.partition.map { [$0] } ?? []) {
                guard let field = entity.field(named: name) else {
                    let hint =
                        Suggestion.closest(to: name, in: entity.fields.map(\.name)).map { "did you mean `\($0)`?" }
                        ?? "declare the field or index an existing one"
                    report(
                        position, file: entity.sourceFile, "index `\(index.name)` uses unknown field `\(name)`", hint)
                    continue
                }
                guard case .scalar(let scalar) = field.type, scalar.isStringLike || scalar == .int || scalar == .float
                else {
                    report(
                        position, file: entity.sourceFile,
                        "index `\(index.name)` uses field `\(name)` of type \(field.type.spelling)",
                        "index a String, ID, DateTime, Int or Float field")
                    continue
                }
            }
        }
    }

    private mutating func checkRelations(_ entity: Entity) {
        var seen = Set<String>()
        let fieldNames = Set(
            entity.fields.map { Naming.camelCase($0.name) } + Self.reservedFields.map(Naming.camelCase))
        for relation in entity.relations {
            let position = positions["entity", entity.name, "relation", relation.name]
            let graphQLName = Naming.camelCase(relation.name)
            if !Naming.isValidGraphQLName(graphQLName) {
                report(
                    position, file: entity.sourceFile, "relation name `\(relation.name)` is not a valid GraphQL name",
                    "use lower_snake_case letters and digits")
            } else if fieldNames.contains(graphQLName) {
                report(
                    position, file: entity.sourceFile,
                    "relation `\(relation.name)` has the GraphQL name `\(graphQLName)` of a field of `\(entity.name)`",
                    "rename the relation, e.g. `\(relation.name)_ref`")
            }
            if !seen.insert(graphQLName).inserted {
                report(
                    position, file: entity.sourceFile, "relation `\(relation.name)` is declared twice",
                    "rename one of them")
            }
            guard let target = schema.entity(named: relation.target) else {
                let hint =
                    Suggestion.closest(to: relation.target, in: schema.entities.map(\.name)).map {
                        "did you mean `\($0)`?"
                    }
                    ?? "declare entity `\(relation.target)` in its own schema file"
                report(
                    positions["entity", entity.name, "relation", relation.name, "target"] ?? position,
                    file: entity.sourceFile,
                    "relation `\(relation.name)` refers to unknown entity `\(relation.target)`", hint)
                continue
            }
            switch relation.kind {
            case .belongsTo:
                guard let via = entity.field(named: relation.via) else {
                    report(
                        position, file: entity.sourceFile,
                        "relation `\(relation.name)` goes via unknown field `\(relation.via)`",
                        "declare `\(relation.via): ID` in the fields of `\(entity.name)`")
                    continue
                }
                // A target whose key is not one of its fields is reported with the target.
                guard let targetKey = target.field(named: target.key) else { continue }
                if via.type != targetKey.type && !(via.type.isStringLike && targetKey.type.isStringLike) {
                    report(
                        position, file: entity.sourceFile,
                        "relation `\(relation.name)` goes via `\(relation.via)` of type \(via.type.spelling), but the key of `\(target.name)` is \(targetKey.type.spelling)",
                        "give `\(relation.via)` the type of `\(target.name).\(target.key)`")
                }
            case .hasMany:
                guard target.field(named: relation.via) != nil else {
                    report(
                        position, file: entity.sourceFile,
                        "relation `\(relation.name)` goes via `\(relation.via)`, which `\(target.name)` does not declare",
                        "declare `\(relation.via): ID` in `\(target.name)`")
                    continue
                }
                if let targetVia = target.field(named: relation.via), let key = entity.field(named: entity.key),
                    !targetVia.type.isStringLike || !key.type.isStringLike
                {
                    report(
                        position, file: entity.sourceFile,
                        "relation `\(relation.name)` goes via `\(target.name).\(relation.via)` of type \(targetVia.type.spelling), but the key of `\(entity.name)` is \(key.type.spelling)",
                        "give `\(target.name).\(relation.via)` the type of `\(entity.name).\(entity.key)`")
                    continue
                }
                if let named = relation.index {
                    guard let index = target.index(named: named) else {
                        let hint =
                            Suggestion.closest(to: named, in: target.indexes.map(\.name)).map {
                                "did you mean `\($0)`?"
                            }
                            ?? "declare `\(named): { sort: \(relation.via) }` in the indexes of `\(target.name)`"
                        report(
                            position, file: entity.sourceFile,
                            "relation `\(relation.name)` uses index `\(named)`, which `\(target.name)` does not declare",
                            hint)
                        continue
                    }
                    guard index.isTenantSorted(by: relation.via) else {
                        report(
                            position, file: entity.sourceFile,
                            "index `\(named)` of `\(target.name)` cannot serve relation `\(relation.name)`",
                            "use an index without `partition` whose `sort` is `\(relation.via)`")
                        continue
                    }
                }
                let servingIndex =
                    relation.index.flatMap { target.index(named: $0) }
                    ?? target.indexes.first { $0.isTenantSorted(by: relation.via) }
                guard let servingIndex, servingIndex.isTenantSorted(by: relation.via) else {
                    report(
                        position, file: entity.sourceFile,
                        "no index of `\(target.name)` in the tenant's partition can serve hasMany relation `\(relation.name)`",
                        "add `\(relation.via)-index: { sort: \(relation.via) }` to the indexes of `\(target.name)`")
                    continue
                }
            }
        }
    }
}

extension FieldType {
    fileprivate var isStringLike: Bool {
        if case .scalar(let scalar) = self { return scalar.isStringLike }
        return false
    }
}
