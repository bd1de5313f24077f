import AMERuntime

/// Generates valid GraphQL queries at random from the schema registry, with a fixed seed: several
/// root fields, aliases, named and inline fragments, `@skip`/`@include` (literal and variable),
/// variables with and without defaults, `__typename`, shared objects, `data`, relations to a
/// given depth, list arguments (limit, page number, equality and `Contains` filters) and gets of
/// existing and missing keys.
struct QueryGenerator {
    /// Stored values of the seeded rows, by entity name: one dictionary of GraphQL field name to
    /// text value per row.
    typealias Rows = [String: [[String: String]]]

    let registry: SchemaRegistry
    let rows: Rows
    let maxDepth: Int
    private var random: SplitMix64
    private var counter = 0
    private var fragments: [String] = []
    private var variableDefinitions: [String] = []
    private var variables = JSONObject()

    init(registry: SchemaRegistry, rows: Rows, seed: UInt64, maxDepth: Int = 4) {
        self.registry = registry
        self.rows = rows
        self.maxDepth = maxDepth
        random = SplitMix64(seed: seed)
    }

    /// One query document and its variables.
    mutating func next() -> (query: String, variables: JSONObject) {
        fragments = []
        variableDefinitions = []
        variables = JSONObject()
        var roots: [String] = []
        for _ in 0..<int(1...3) { roots.append(rootSelection()) }
        let header = variableDefinitions.isEmpty ? "query" : "query(\(variableDefinitions.joined(separator: ", ")))"
        let query = ([header + " { " + roots.joined(separator: " ") + " }"] + fragments).joined(separator: "\n")
        return (query, variables)
    }

    // MARK: Random choices

    private mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(random.next() % UInt64(range.count))
    }

    private mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    private mutating func pick<T>(_ values: [T]) -> T { values[int(0...values.count - 1)] }

    private mutating func name(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    private func literal(_ text: String) -> String { JSONValue.string(text).jsonText }

    /// A Boolean for a directive: a literal, or a variable (given, or left to its default).
    private mutating func condition() -> String {
        let flag = chance(50)
        guard chance(50) else { return flag ? "true" : "false" }
        let variable = name("b")
        if chance(30) {
            variableDefinitions.append("$\(variable): Boolean = \(flag)")
        } else {
            variableDefinitions.append("$\(variable): Boolean!")
            variables[variable] = .bool(flag)
        }
        return "$" + variable
    }

    private mutating func directive() -> String {
        switch int(0...9) {
        case 0...1: " @skip(if: \(condition()))"
        case 2...3: " @include(if: \(condition()))"
        case 4: " @include(if: \(condition())) @skip(if: \(condition()))"
        default: ""
        }
    }

    // MARK: Roots

    private mutating func rootSelection() -> String {
        if chance(4) { return "__typename" }
        if chance(4) { return "\(name("p")): ping" }
        let entity = pick(registry.entities)
        return chance(40) ? getSelection(entity) : listSelection(entity)
    }

    private mutating func getSelection(_ entity: EntityDefinition) -> String {
        let keyName = entity.keyField.graphQLName
        let row = pick(rows[entity.name] ?? [[:]])
        let missing = chance(8)
        // The key, plus every other field a `get: { all_of: … }` requires, from one row.
        var names = [keyName]
        if case .allOf(let attributes) = entity.get {
            names = attributes.compactMap { entity.field(attribute: $0)?.graphQLName }
        }
        var arguments: [String] = []
        for argumentName in names {
            let value = (missing && argumentName == keyName) ? "no-such-key" : (row[argumentName] ?? "no-such-key")
            if chance(50) {
                let variable = name("k")
                variableDefinitions.append("$\(variable): String!")
                variables[variable] = .string(value)
                arguments.append("\(argumentName): $" + variable)
            } else {
                arguments.append("\(argumentName): \(literal(value))")
            }
        }
        return "\(name("g")): \(entity.graphQL.getField)(\(arguments.joined(separator: ", ")))\(directive()) { "
            + entitySelection(entity, depth: 1) + " }"
    }

    private mutating func listSelection(_ entity: EntityDefinition) -> String {
        var arguments: [String] = []
        if chance(80) { arguments.append("limit: \(pick([1, 2, 3, 5, 10, 25]))") }
        if chance(20) { arguments.append("pageNumber: \(pick([1, 2, 3]))") }
        if chance(35), let row = rows[entity.name].map({ pick($0) }), !row.isEmpty {
            let field = pick(row.keys.sorted())
            let value = row[field]!
            if chance(50) {
                arguments.append("\(field): \(literal(value))")
            } else {
                arguments.append("\(field)Contains: \(literal(String(value.prefix(int(1...4)))))")
            }
        }
        let argumentText = arguments.isEmpty ? "" : "(" + arguments.joined(separator: ", ") + ")"
        return "\(name("l")): \(entity.graphQL.listField)\(argumentText)\(directive()) { "
            + pageSelection(entity, depth: 1) + " }"
    }

    // MARK: Selections

    /// The selection of a `…ListType`.
    private mutating func pageSelection(_ entity: EntityDefinition, depth: Int) -> String {
        var parts = [entity.graphQL.listField + " { " + entitySelection(entity, depth: depth) + " }"]
        for field in ["pageSize", "pageNumber", "total", "__typename"] where chance(25) {
            parts.append(chance(20) ? "\(name("a")): \(field)" : field)
        }
        // Never aliased: the comparison finds AME's signed tokens by their field name.
        if chance(25) { parts.append("nextToken") }
        if chance(15) { parts.append("... on \(entity.graphQL.listType) { pageSize }") }
        return parts.shuffled(using: &random).joined(separator: " ")
    }

    private mutating func entitySelection(_ entity: EntityDefinition, depth: Int) -> String {
        var parts: [String] = []
        for _ in 0..<int(1...4) { parts.append(selection(entity, depth: depth)) }
        // At least one field is always selected, whatever the directives leave.
        parts.append(entity.keyField.graphQLName)
        return parts.joined(separator: " ")
    }

    private mutating func selection(_ entity: EntityDefinition, depth: Int) -> String {
        let roll = int(0...99)
        switch roll {
        case 0..<40:
            let plain = entity.fields.filter {
                if case .object = $0.type { return false }
                return true
            }
            let field = pick(plain).graphQLName
            return (chance(20) ? "\(name("a")): \(field)" : field) + directive()
        case 40..<47:
            guard
                let field = entity.fields.first(where: {
                    if case .object = $0.type { return true }
                    return false
                }), case .object(let typeName, let members) = field.type
            else { return "__typename" }
            var chosen = members.filter { _ in chance(60) }.map(\.graphQLName)
            if chosen.isEmpty || chance(20) { chosen.append("__typename") }
            if chance(20) { chosen.append("... on \(typeName) { \(pick(members).graphQLName) }") }
            return "\(field.graphQLName)\(directive()) { \(chosen.joined(separator: " ")) }"
        case 47..<53:
            return chance(30) ? "\(name("a")): __typename" : "__typename"
        case 53..<60:
            guard entity.dataType != nil else { return entity.keyField.graphQLName }
            return (chance(30) ? "\(name("a")): data" : "data") + directive()
        case 60..<78:
            guard depth < maxDepth, !entity.relations.isEmpty else { return entity.keyField.graphQLName }
            return relationSelection(entity, pick(entity.relations), depth: depth)
        case 78..<87:
            let inner = entitySelection(entity, depth: depth)
            switch int(0...2) {
            case 0: return "... on \(entity.graphQLType)\(directive()) { \(inner) }"
            case 1: return "...\(directive()) { \(inner) }"
            default: return "... @include(if: \(condition())) { \(inner) }"
            }
        default:
            let fragment = name("F")
            let inner = entitySelection(entity, depth: depth)
            fragments.append("fragment \(fragment) on \(entity.graphQLType) { \(inner) }")
            return "...\(fragment)\(directive())"
        }
    }

    private mutating func relationSelection(
        _ entity: EntityDefinition, _ relation: RelationDefinition, depth: Int
    )
        -> String
    {
        guard let target = registry.entity(named: relation.target) else { return entity.keyField.graphQLName }
        switch relation.kind {
        case .belongsTo:
            let alias = chance(25) ? "\(name("a")): " : ""
            return "\(alias)\(relation.graphQLName)\(directive()) { \(entitySelection(target, depth: depth + 1)) }"
        case .hasMany:
            // Always aliased: the same relation with other arguments elsewhere must not conflict.
            var argument = ""
            switch int(0...3) {
            case 0: argument = ""
            case 1:
                let variable = name("n")
                let limit = pick([1, 2, 3, 10])
                if chance(50) {
                    variableDefinitions.append("$\(variable): Int = \(limit)")
                } else {
                    variableDefinitions.append("$\(variable): Int")
                    variables[variable] = .int(limit)
                }
                argument = "(limit: $\(variable))"
            default: argument = "(limit: \(pick([1, 2, 3, 5, 10])))"
            }
            return "\(name("h")): \(relation.graphQLName)\(argument)\(directive()) { "
                + pageSelection(target, depth: depth + 1) + " }"
        }
    }
}
