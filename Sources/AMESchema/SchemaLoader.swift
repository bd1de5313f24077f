import Yams

/// Reads `schema/*.yaml` files into a validated ``Schema``.
///
/// Every problem of every file is collected; loading fails with ``SchemaErrors`` holding all
/// of them, so a user fixes a schema in one pass.
public struct SchemaLoader {
    /// A schema file: its path as it should appear in diagnostics, and its text.
    public struct File: Sendable {
        public var path: String
        public var contents: String

        public init(path: String, contents: String) {
            self.path = path
            self.contents = contents
        }

        /// The file name without folders, used to recognise `ame.yaml`.
        var baseName: String {
            String(path.split(separator: "/").last ?? Substring(path))
        }
    }

    /// The name of the optional project settings file.
    public static let settingsFileName = "ame.yaml"

    public init() {}

    public func load(_ files: [File]) throws(SchemaErrors) -> Schema {
        var reader = Reader()
        // Sorting makes the result independent of the order the files are listed in.
        let sorted = files.sorted { $0.path < $1.path }
        for file in sorted where file.baseName == Self.settingsFileName {
            reader.readSettings(file)
        }
        for file in sorted where file.baseName != Self.settingsFileName {
            reader.readEntity(file)
        }
        var schema = Schema(
            tablePrefix: reader.tablePrefix,
            objectTypes: reader.objectTypes.sorted { $0.name < $1.name },
            entities: reader.entities.map(\.entity).sorted { $0.name < $1.name },
            idScalar: reader.idScalar, mutationType: reader.mutationType, layout: reader.layout
        )
        var diagnostics = reader.diagnostics
        if reader.entities.isEmpty && diagnostics.isEmpty {
            diagnostics.append(
                SchemaDiagnostic(
                    file: sorted.first?.path ?? "schema", line: 1, column: 1, message: "the schema declares no entity",
                    fix: "add a file such as schema/contact.yaml starting with `entity: Contact`"))
        }
        diagnostics += SchemaValidator(schema: schema, positions: reader.positions).validate()
        if !diagnostics.isEmpty { throw SchemaErrors(diagnostics) }
        // A hasMany relation without `index` is served by the target's first local index on `via`.
        for entityIndex in schema.entities.indices {
            for relationIndex in schema.entities[entityIndex].relations.indices {
                let relation = schema.entities[entityIndex].relations[relationIndex]
                guard relation.kind == .hasMany, relation.index == nil,
                    let target = schema.entity(named: relation.target)
                else { continue }
                schema.entities[entityIndex].relations[relationIndex].index =
                    target.indexes.first { $0.isTenantSorted(by: relation.via) }?.name
            }
        }
        return schema
    }
}

/// Where each named element was declared, for diagnostics found after parsing.
struct SchemaPositions {
    struct Position {
        var file: String
        var line: Int
        var column: Int
    }

    var elements: [String: Position] = [:]

    subscript(_ path: String...) -> Position? {
        elements[path.joined(separator: ".")]
    }

    mutating func record(_ position: Position, _ path: String...) {
        elements[path.joined(separator: ".")] = position
    }
}

/// Walks the YAML node trees, collecting model values and diagnostics.
private struct Reader {
    var tablePrefix = "ame-"
    var idScalar = IDScalar.id
    /// The project's `layout` (`local` unless `ame.yaml` says otherwise).
    var layout = Layout.local
    var mutationType = "Mutation"
    var objectTypes: [ObjectType] = []
    var entities: [(entity: Entity, file: String)] = []
    var diagnostics: [SchemaDiagnostic] = []
    var positions = SchemaPositions()

    static let entityKeys = [
        "entity", "table", "description", "key", "fields", "indexes", "relations", "data", "get", "filters",
        "tenant_arguments", "scan_budget", "layout",
    ]
    static let settingsKeys = ["table_prefix", "types", "id_scalar", "mutation_type", "layout"]
    static let fieldKeys = [
        "type", "required", "unique", "generated", "default", "description", "deprecated", "scalar", "scan_budget",
    ]
    static let dataKeys = ["type", "scalar", "values"]
    static let getKeys = ["one_of", "all_of"]
    static let filterKeys = ["field", "match"]
    static let indexKeys = ["partition", "sort", "global", "projection"]
    static let relationKeys = ["belongsTo", "hasMany", "via", "index"]
    static let objectTypeKeys = ["description", "fields"]

    mutating func error(_ file: String, _ node: Node?, _ message: String, _ fix: String) {
        let mark = node?.mark
        diagnostics.append(
            SchemaDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message, fix: fix)
        )
    }

    func position(_ file: String, _ node: Node?) -> SchemaPositions.Position {
        SchemaPositions.Position(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1)
    }

    mutating func parse(_ file: SchemaLoader.File) -> Node.Mapping? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: file.contents)
        } catch let error as YamlError {
            let (mark, problem) = Self.describe(error)
            let isDuplicate: Bool
            if case .duplicatedKeysInMapping = error { isDuplicate = true } else { isDuplicate = false }
            diagnostics.append(
                SchemaDiagnostic(
                    file: file.path, line: mark?.line ?? 1, column: mark?.column ?? 1,
                    message: isDuplicate ? problem : "malformed YAML: \(problem)",
                    fix: isDuplicate
                        ? "remove or rename the repeated key" : "check indentation, colons and quoting at this position"
                )
            )
            return nil
        } catch {
            self.error(file.path, nil, "malformed YAML: \(error)", "check the file is valid YAML")
            return nil
        }
        guard let node, case .mapping(let mapping) = node else {
            error(file.path, node, "the file is not a YAML mapping", "start the file with `entity: Name` and its keys")
            return nil
        }
        return mapping
    }

    static func describe(_ error: YamlError) -> (Mark?, String) {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.sorted().map { "`\($0)`" }.joined(separator: ", ")
            return (context.mark, "key \(names) appears twice in one mapping")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return (mark, problem)
        default:
            return (nil, "\(error)")
        }
    }

    /// Reports keys of `mapping` that are not in `allowed`, with a did-you-mean.
    mutating func checkKeys(_ mapping: Node.Mapping, allowed: [String], file: String, context: String) {
        for (key, _) in mapping {
            guard let name = key.string, !allowed.contains(name) else { continue }
            let fix: String
            if let suggestion = Suggestion.closest(to: name, in: allowed) {
                fix = "did you mean `\(suggestion)`?"
            } else {
                fix = "allowed keys: \(allowed.joined(separator: ", "))"
            }
            error(file, key, "unknown key `\(name)` in \(context)", fix)
        }
    }

    mutating func readSettings(_ file: SchemaLoader.File) {
        guard let root = parse(file) else { return }
        checkKeys(root, allowed: Self.settingsKeys, file: file.path, context: "project settings")
        if let prefix = root["table_prefix"] {
            if let value = prefix.string {
                tablePrefix = value
            } else {
                error(file.path, prefix, "`table_prefix` must be a string", "write e.g. `table_prefix: \"ame-\"`")
            }
        }
        if let node = root["layout"], let value = readLayout(node, file: file.path) { layout = value }
        if let node = root["id_scalar"] {
            if let value = node.string, let scalar = IDScalar(rawValue: value) {
                idScalar = scalar
            } else {
                error(
                    file.path, node, "`id_scalar` must be `ID` or `String`",
                    "write `id_scalar: String` to declare ID fields and key arguments as String")
            }
        }
        if let node = root["mutation_type"] {
            if let value = node.string, Naming.isValidGraphQLName(value) {
                mutationType = value
                positions.record(position(file.path, node), "settings", "mutation_type")
            } else {
                error(
                    file.path, node, "`mutation_type` must be a GraphQL name",
                    "write e.g. `mutation_type: Mutations`")
            }
        }
        if let types = root["types"] {
            guard case .mapping(let mapping) = types else {
                error(
                    file.path, types, "`types` must be a mapping of type names",
                    "write `types:` then `  Address: { fields: ... }`")
                return
            }
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                readObjectType(name: name, key: key, node: value, file: file.path)
            }
        }
    }

    mutating func readObjectType(name: String, key: Node, node: Node, file: String) {
        guard case .mapping(let mapping) = node else {
            error(file, node, "type `\(name)` must be a mapping", "write `\(name): { fields: { street: String } }`")
            return
        }
        checkKeys(mapping, allowed: Self.objectTypeKeys, file: file, context: "type `\(name)`")
        positions.record(position(file, key), "type", name)
        let fields = readFields(mapping["fields"], owner: "type `\(name)`", ownerPath: "type.\(name)", file: file)
        objectTypes.append(
            ObjectType(name: name, description: mapping["description"]?.string, fields: fields, sourceFile: file)
        )
    }

    mutating func readEntity(_ file: SchemaLoader.File) {
        guard let root = parse(file) else { return }
        checkKeys(root, allowed: Self.entityKeys, file: file.path, context: "an entity")
        guard let nameNode = root["entity"], let name = nameNode.string else {
            error(file.path, root["entity"], "missing `entity:` name", "add `entity: MyEntity` at the top of the file")
            return
        }
        positions.record(position(file.path, nameNode), "entity", name)
        let table = root["table"]?.string ?? ""
        if table.isEmpty {
            error(file.path, root["table"] ?? nameNode, "entity `\(name)` has no `table`", "add `table: my_entities`")
        } else {
            positions.record(position(file.path, root["table"]), "entity", name, "table")
        }
        let keyNode = root["key"]
        let key = keyNode?.string ?? ""
        if key.isEmpty {
            error(file.path, keyNode ?? nameNode, "entity `\(name)` has no `key`", "add `key: my_uuid` naming a field")
        } else {
            positions.record(position(file.path, keyNode), "entity", name, "key")
        }
        let fields = readFields(root["fields"], owner: "entity `\(name)`", ownerPath: "entity.\(name)", file: file.path)
        var indexes: [Index] = []
        if let node = root["indexes"] {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping {
                    guard let indexName = key.string else { continue }
                    if let index = readIndex(indexName, value, entity: name, file: file.path) {
                        positions.record(position(file.path, key), "entity", name, "index", indexName)
                        indexes.append(index)
                    }
                }
            } else {
                error(
                    file.path, node, "`indexes` must be a mapping",
                    "write `indexes:` then `  email-index: { sort: email }`")
            }
        }
        var relations: [Relation] = []
        if let node = root["relations"] {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping {
                    guard let relationName = key.string else { continue }
                    if let relation = readRelation(relationName, value, entity: name, file: file.path) {
                        positions.record(position(file.path, key), "entity", name, "relation", relationName)
                        relations.append(relation)
                    }
                }
            } else {
                error(
                    file.path, node, "`relations` must be a mapping",
                    "write `relations:` then `  place: { belongsTo: Place, via: place_uuid }`")
            }
        }
        var dataType: String?
        var dataScalar = JSONScalar.json
        var dataValues = DataValues.json
        if let node = root["data"] {
            var typeNode: Node? = node
            if case .mapping(let mapping) = node {
                checkKeys(mapping, allowed: Self.dataKeys, file: file.path, context: "`data`")
                typeNode = mapping["type"]
                if let scalarNode = mapping["scalar"] {
                    dataScalar = readJSONScalar(scalarNode, what: "`data`", file: file.path) ?? .json
                }
                if let valuesNode = mapping["values"] {
                    dataValues =
                        readChoice(
                            valuesNode, DataValues.self,
                            unknown: "unknown `values` `\(valuesNode.string ?? "")` for `data`",
                            otherwise:
                                "use `json` (values keep their JSON type) or `string` (every value is stored as a string)",
                            file: file.path) ?? .json
                }
            }
            if let value = typeNode?.string, !value.isEmpty {
                dataType = value
                positions.record(position(file.path, typeNode), "entity", name, "data")
            } else {
                error(
                    file.path, typeNode ?? node, "`data` must name the attribute data type",
                    "write e.g. `data: contact` or `data: { type: contact, scalar: JSONCamelCase }`")
            }
        }
        var entity = Entity(
            name: name, table: table, description: root["description"]?.string, key: key, fields: fields,
            indexes: indexes, relations: relations, dataType: dataType, sourceFile: file.path
        )
        entity.dataScalar = dataScalar
        entity.dataValues = dataValues
        if let node = root["get"] { entity.get = readGet(node, entity: name, file: file.path) }
        if let node = root["filters"] { entity.filters = readFilters(node, entity: name, file: file.path) }
        if let node = root["scan_budget"] { entity.scanBudget = readScanBudget(node, file: file.path) }
        entity.layout = root["layout"].flatMap { readLayout($0, file: file.path) } ?? layout
        if entity.layout == .global {
            // Every index global: those without `partition` are the tenant alone.
            for index in entity.indexes.indices { entity.indexes[index].global = true }
        }
        if let node = root["tenant_arguments"] {
            positions.record(position(file.path, node), "entity", name, "tenant_arguments")
            if case .sequence(let sequence) = node, sequence.allSatisfy({ $0.string != nil }) {
                entity.tenantArguments = sequence.compactMap(\.string)
            } else {
                error(
                    file.path, node, "`tenant_arguments` must be a list of tenant fields",
                    "write e.g. `tenant_arguments: [endpoint_id]`")
            }
        }
        entities.append((entity, file.path))
    }

    mutating func readJSONScalar(_ node: Node, what: String, file: String) -> JSONScalar? {
        readChoice(
            node, JSONScalar.self, unknown: "unknown scalar `\(node.string ?? "")` for \(what)",
            otherwise: "use \(JSONScalar.allCases.map { "`\($0.rawValue)`" }.joined(separator: " or "))", file: file)
    }

    /// One of `Choice`'s spellings; otherwise the error `unknown`, with the closest spelling as its
    /// hint, or `otherwise` when none is close. `nil` after an error.
    mutating func readChoice<Choice: RawRepresentable & CaseIterable>(
        _ node: Node, _: Choice.Type, unknown: String, otherwise: String, file: String
    ) -> Choice? where Choice.RawValue == String {
        if let value = node.string, let choice = Choice(rawValue: value) { return choice }
        let hint =
            node.string.flatMap { Suggestion.closest(to: $0, in: Choice.allCases.map(\.rawValue)) }
            .map { "did you mean `\($0)`?" } ?? otherwise
        error(file, node, unknown, hint)
        return nil
    }

    mutating func readGet(_ node: Node, entity: String, file: String) -> GetShape {
        let example = "write `get: { one_of: [key_field, unique_field] }` or `get: { all_of: [field, key_field] }`"
        guard case .mapping(let mapping) = node else {
            error(file, node, "`get` must be a mapping", example)
            return .key
        }
        checkKeys(mapping, allowed: Self.getKeys, file: file, context: "`get`")
        let oneOf = mapping["one_of"]
        let allOf = mapping["all_of"]
        guard (oneOf == nil) != (allOf == nil), let list = oneOf ?? allOf else {
            error(file, node, "`get` needs exactly one of `one_of` and `all_of`", example)
            return .key
        }
        positions.record(position(file, list), "entity", entity, "get")
        guard case .sequence(let sequence) = list, !sequence.isEmpty, sequence.allSatisfy({ $0.string != nil }) else {
            error(file, list, "`get` must list field names", example)
            return .key
        }
        let names = sequence.compactMap(\.string)
        return oneOf != nil ? .oneOf(names) : .allOf(names)
    }

    mutating func readFilters(_ node: Node, entity: String, file: String) -> [ListFilter] {
        guard case .mapping(let mapping) = node else {
            error(
                file, node, "`filters` must be a mapping of argument names",
                "write `filters:` then `  category: { field: categories, match: member }`")
            return []
        }
        var filters: [ListFilter] = []
        for (key, value) in mapping {
            guard let argument = key.string else { continue }
            positions.record(position(file, key), "entity", entity, "filter", argument)
            guard case .mapping(let options) = value else {
                error(
                    file, value, "filter `\(argument)` must be a mapping",
                    "write `\(argument): { field: some_field, match: equals }`")
                continue
            }
            checkKeys(options, allowed: Self.filterKeys, file: file, context: "filter `\(argument)`")
            guard let field = options["field"]?.string else {
                error(file, value, "filter `\(argument)` has no `field`", "add `field: some_field`")
                continue
            }
            var match = ListFilter.Match.equals
            if let matchNode = options["match"] {
                let names = ListFilter.Match.allCases.map(\.rawValue)
                guard let name = matchNode.string, let value = ListFilter.Match(rawValue: name) else {
                    let hint =
                        matchNode.string.flatMap { Suggestion.closest(to: $0, in: names) }.map {
                            "did you mean `\($0)`?"
                        } ?? "use one of \(names.joined(separator: ", "))"
                    error(file, matchNode, "unknown match `\(matchNode.string ?? "")` for filter `\(argument)`", hint)
                    continue
                }
                match = value
            }
            filters.append(ListFilter(argument: argument, field: field, match: match))
        }
        return filters
    }

    mutating func readFields(_ node: Node?, owner: String, ownerPath: String, file: String) -> [Field] {
        guard let node else {
            error(file, nil, "\(owner) has no `fields`", "add `fields:` with at least the key field")
            return []
        }
        guard case .mapping(let mapping) = node else {
            error(file, node, "`fields` of \(owner) must be a mapping", "write `fields:` then `  name: String`")
            return []
        }
        var fields: [Field] = []
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            positions.record(position(file, key), ownerPath, "field", name)
            if let field = readField(name, value, owner: owner, file: file) { fields.append(field) }
        }
        return fields
    }

    mutating func readField(_ name: String, _ node: Node, owner: String, file: String) -> Field? {
        var typeNode = node
        var options: Node.Mapping?
        if case .mapping(let mapping) = node {
            checkKeys(mapping, allowed: Self.fieldKeys, file: file, context: "field `\(name)` of \(owner)")
            guard let type = mapping["type"] else {
                error(file, node, "field `\(name)` of \(owner) has no `type`", "add `type: String` (or another type)")
                return nil
            }
            typeNode = type
            options = mapping
        }
        guard let spelling = typeNode.string, let type = Self.parseType(spelling) else {
            error(
                file, typeNode, "field `\(name)` of \(owner) has a malformed type",
                "write a type such as `String`, `Int` or `[String]`")
            return nil
        }
        var field = Field(name: name, type: type)
        guard let options else { return field }
        field.required = readBool(options["required"], file: file) ?? false
        field.unique = readBool(options["unique"], file: file) ?? false
        if let node = options["scan_budget"] { field.scanBudget = readScanBudget(node, file: file) }
        field.description = options["description"]?.string
        if let scalarNode = options["scalar"] {
            field.scalar = readJSONScalar(scalarNode, what: "field `\(name)`", file: file)
        }
        field.deprecated = options["deprecated"].flatMap { node in
            if let flag = node.bool { return flag ? "No longer supported" : nil }
            return node.string
        }
        if let generated = options["generated"] {
            if let value = generated.string, let generator = Field.Generator(rawValue: value) {
                field.generated = generator
            } else {
                error(
                    file, generated, "unknown generator `\(generated.string ?? "")` for field `\(name)`",
                    "use `generated: uuid`")
            }
        }
        if let defaultNode = options["default"] {
            field.defaultValue = readDefault(defaultNode, type: type, field: name, file: file)
        }
        return field
    }

    mutating func readDefault(_ node: Node, type: FieldType, field: String, file: String) -> DefaultValue? {
        switch type {
        case .scalar(.int):
            if let value = node.int { return .int(value) }
        case .scalar(.float):
            if let value = node.float { return .float(value) }
        case .scalar(.boolean):
            if let value = node.bool { return .bool(value) }
        case .scalar(.id), .scalar(.string), .scalar(.dateTime):
            if let value = node.string { return .string(value) }
        default:
            error(file, node, "field `\(field)` of type \(type.spelling) cannot have a default", "remove `default`")
            return nil
        }
        error(
            file, node, "default of field `\(field)` is not of type \(type.spelling)",
            "write a literal of type \(type.spelling)")
        return nil
    }

    /// A `scan_budget`: a count of items, 1 to 10,000,000.
    mutating func readLayout(_ node: Node, file: String) -> Layout? {
        if let value = node.string, let layout = Layout(rawValue: value) { return layout }
        error(
            file, node, "`layout` must be `local` or `global`",
            "write `layout: global` for a table with global indexes only (no 10 GB cap per tenant)")
        return nil
    }

    mutating func readScanBudget(_ node: Node, file: String) -> Int? {
        if let value = node.int, (1...10_000_000).contains(value) { return value }
        error(
            file, node, "`scan_budget` must be a number of items from 1 to 10000000",
            "write e.g. `scan_budget: 10000`")
        return nil
    }

    mutating func readBool(_ node: Node?, file: String) -> Bool? {
        guard let node else { return nil }
        if let value = node.bool { return value }
        error(file, node, "expected `true` or `false`", "write `true` or `false`")
        return nil
    }

    mutating func readIndex(_ name: String, _ node: Node, entity: String, file: String) -> Index? {
        guard case .mapping(let mapping) = node else {
            error(file, node, "index `\(name)` must be a mapping", "write `\(name): { sort: field_name }`")
            return nil
        }
        checkKeys(mapping, allowed: Self.indexKeys, file: file, context: "index `\(name)`")
        guard let sort = mapping["sort"]?.string else {
            error(file, node, "index `\(name)` has no `sort` field", "add `sort: field_name`")
            return nil
        }
        let global = readBool(mapping["global"], file: file) ?? false
        let partition = mapping["partition"]?.string
        if !global && partition != nil {
            error(
                file, mapping["partition"], "local index `\(name)` cannot have a `partition` (it is the tenant)",
                "remove `partition` or add `global: true`")
        }
        var projection = Index.Projection.all
        if let node = mapping["projection"] {
            switch node {
            case .scalar(let scalar) where scalar.string == "all": projection = .all
            case .scalar(let scalar) where scalar.string == "keys_only": projection = .keysOnly
            case .sequence(let sequence): projection = .include(sequence.compactMap(\.string))
            default:
                error(
                    file, node, "unknown projection for index `\(name)`",
                    "use `all`, `keys_only` or a list of field names")
            }
        }
        return Index(name: name, partition: partition, sort: sort, global: global, projection: projection)
    }

    mutating func readRelation(_ name: String, _ node: Node, entity: String, file: String) -> Relation? {
        guard case .mapping(let mapping) = node else {
            error(
                file, node, "relation `\(name)` must be a mapping", "write `\(name): { belongsTo: Entity, via: field }`"
            )
            return nil
        }
        checkKeys(mapping, allowed: Self.relationKeys, file: file, context: "relation `\(name)`")
        let kind: Relation.Kind
        let target: String
        if let value = mapping["belongsTo"]?.string {
            kind = .belongsTo
            target = value
        } else if let value = mapping["hasMany"]?.string {
            kind = .hasMany
            target = value
        } else {
            error(
                file, node, "relation `\(name)` has neither `belongsTo` nor `hasMany`",
                "add `belongsTo: Entity` or `hasMany: Entity`")
            return nil
        }
        positions.record(position(file, mapping[kind.rawValue]), "entity", entity, "relation", name, "target")
        guard let via = mapping["via"]?.string else {
            error(
                file, node, "relation `\(name)` has no `via` field",
                "add `via: field_name` naming the foreign key field")
            return nil
        }
        return Relation(name: name, kind: kind, target: target, via: via, index: mapping["index"]?.string)
    }

    /// `String`, `[String]`, `Address`.
    static func parseType(_ spelling: String) -> FieldType? {
        let trimmed = spelling.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
            return parseType(String(trimmed.dropFirst().dropLast())).map(FieldType.list)
        }
        guard Naming.isValidGraphQLName(trimmed) else { return nil }
        if let scalar = Scalar(rawValue: trimmed) { return .scalar(scalar) }
        return .object(trimmed)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: CharacterSetLite) -> String {
        var start = startIndex
        var end = endIndex
        while start < end, set.contains(self[start]) { start = index(after: start) }
        while end > start, set.contains(self[index(before: end)]) { end = index(before: end) }
        return String(self[start..<end])
    }
}

private struct CharacterSetLite {
    static let whitespaces = CharacterSetLite()
    func contains(_ character: Character) -> Bool { character == " " || character == "\t" }
}
