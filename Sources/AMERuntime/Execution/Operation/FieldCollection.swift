import GraphQL

/// A field of a selection set after fragments and `@skip`/`@include` are applied, with every
/// AST node that shares its response key (their sub-selections merge), and its plan.
struct CollectedField {
    let responseKey: String
    let name: String
    /// What resolving the field does, from the engine's ``ExecutionPlan``.
    let planned: PlannedField
    /// The first AST node of the field, and the others merged into it (usually none: one
    /// allocation fewer per field than an array of all of them).
    let first: Field
    var merged: [Field] = []

    var plan: FieldPlan { planned.plan }

    /// Every AST node that shares the field's response key, in document order.
    var nodes: [Field] { [first] + merged }

    /// Line and column of the field in the query, for errors.
    var location: (line: Int, column: Int)? {
        guard let token = first.loc?.startToken else { return nil }
        return (token.line, token.column)
    }
}

/// CollectFields of the GraphQL specification (§6.3.2), for object types only.
///
/// One collector serves one request: the sub-selections it collects are kept, so that the
/// complexity analysis and the execution of the same field collect them once.
struct FieldCollector {
    let fragments: [String: FragmentDefinition]
    let variables: [String: JSONValue]
    let plan: ExecutionPlan
    private let collected = Collected()

    init(fragments: [String: FragmentDefinition], variables: [String: JSONValue], plan: ExecutionPlan) {
        self.fragments = fragments
        self.variables = variables
        self.plan = plan
    }

    /// The sub-selections collected so far, by the one selection set they came from and the type
    /// they were collected for. Bounded by the document: one entry per selection set.
    private final class Collected {
        var children: [ObjectIdentifier: (type: String, fields: [CollectedField])] = [:]
    }

    func collect(_ selectionSet: SelectionSet, typeName: String) throws(AMEError) -> [CollectedField] {
        var fields: [CollectedField] = []
        var positions: [String: Int] = [:]
        var visited = Set<String>()
        try collect(
            selectionSet, type: plan.fields(of: typeName), into: &fields, positions: &positions, visited: &visited)
        return fields
    }

    /// Collects the merged sub-selections of `field` for the type its plan names; none for a leaf.
    func collectChildren(of field: CollectedField) throws(AMEError) -> [CollectedField] {
        guard let childType = field.planned.childType else { return [] }
        // A field of one node (the usual case) is keyed by its selection set; merged fields, whose
        // children depend on every node, are collected each time.
        let key = field.merged.isEmpty ? field.first.selectionSet.map(ObjectIdentifier.init) : nil
        if let key, let known = collected.children[key], known.type == childType { return known.fields }
        let fields = try collectChildren(of: field, type: childType)
        if let key { collected.children[key] = (childType, fields) }
        return fields
    }

    private func collectChildren(
        of field: CollectedField, type childType: String
    ) throws(AMEError)
        -> [CollectedField]
    {
        var fields: [CollectedField] = []
        var positions: [String: Int] = [:]
        var visited = Set<String>()
        let type = plan.fields(of: childType)
        if let selectionSet = field.first.selectionSet {
            try collect(selectionSet, type: type, into: &fields, positions: &positions, visited: &visited)
        }
        for node in field.merged {
            if let selectionSet = node.selectionSet {
                try collect(selectionSet, type: type, into: &fields, positions: &positions, visited: &visited)
            }
        }
        return fields
    }

    private func collect(
        _ selectionSet: SelectionSet, type: ExecutionPlan.TypeFields, into fields: inout [CollectedField],
        positions: inout [String: Int], visited: inout Set<String>
    ) throws(AMEError) {
        let typeName = type.type
        for selection in selectionSet.selections {
            switch selection {
            case let field as Field:
                guard try shouldInclude(field.directives) else { continue }
                let key = field.alias?.value ?? field.name.value
                if let position = Self.position(of: key, in: fields, positions: positions) {
                    fields[position].merged.append(field)
                } else {
                    if fields.count >= Self.scannedKeys {
                        // Past a few fields, response keys are found by hash, not by scanning.
                        if positions.isEmpty {
                            for (position, known) in fields.enumerated() { positions[known.responseKey] = position }
                        }
                        positions[key] = fields.count
                    }
                    let name = field.name.value
                    fields.append(CollectedField(responseKey: key, name: name, planned: type[name], first: field))
                }
            case let spread as FragmentSpread:
                guard try shouldInclude(spread.directives) else { continue }
                let name = spread.name.value
                guard visited.insert(name).inserted, let fragment = fragments[name] else { continue }
                guard fragment.typeCondition.name.value == typeName else { continue }
                try collect(fragment.selectionSet, type: type, into: &fields, positions: &positions, visited: &visited)
            case let inline as InlineFragment:
                guard try shouldInclude(inline.directives) else { continue }
                if let condition = inline.typeCondition, condition.name.value != typeName { continue }
                try collect(inline.selectionSet, type: type, into: &fields, positions: &positions, visited: &visited)
            default:
                continue
            }
        }
    }

    /// Up to this many fields in a selection, a response key is found by scanning them (no
    /// dictionary is made); past it, by the `positions` dictionary.
    static let scannedKeys = 16

    private static func position(of key: String, in fields: [CollectedField], positions: [String: Int]) -> Int? {
        guard fields.count > scannedKeys else {
            return fields.firstIndex { $0.responseKey == key }
        }
        return positions[key]
    }

    private func shouldInclude(_ directives: [Directive]) throws(AMEError) -> Bool {
        for directive in directives {
            let name = directive.name.value
            guard name == "skip" || name == "include" else { continue }
            guard let argument = directive.arguments.first(where: { $0.name.value == "if" }) else { continue }
            let value = try ArgumentCoercion.value(of: argument.value, variables: variables)
            guard case .bool(let flag) = value else {
                throw AMEError.badUserInput("@\(name)(if:) needs a Boolean", field: "if")
            }
            if name == "skip" && flag { return false }
            if name == "include" && !flag { return false }
        }
        return true
    }
}

/// Turns AST argument values (literals and variables) into JSON values.
enum ArgumentCoercion {
    static func value(of node: Value, variables: [String: JSONValue]) throws(AMEError) -> JSONValue {
        switch node {
        case let variable as Variable: return variables[variable.name.value] ?? .null
        case let int as IntValue:
            // GraphQL's Int is 32-bit (spec §3.5.1), for literals as for variables.
            guard let number = Int32(int.value) else {
                throw AMEError.badUserInput(
                    "the Int literal \(int.value.prefix(40)) is outside the 32-bit range", field: nil)
            }
            return .int(Int(number))
        case let float as FloatValue: return .double(Double(float.value) ?? 0)
        case let string as StringValue: return .string(string.value)
        case let bool as BooleanValue: return .bool(bool.value)
        case is NullValue: return .null
        case let enumValue as EnumValue: return .string(enumValue.value)
        case let list as ListValue:
            var values: [JSONValue] = []
            for element in list.values { values.append(try value(of: element, variables: variables)) }
            return .array(values)
        case let object as ObjectValue:
            var result = JSONObject()
            for field in object.fields { result[field.name.value] = try value(of: field.value, variables: variables) }
            return .object(result)
        default:
            return .null
        }
    }

    /// The arguments given to `field`, by name. Absent arguments are absent; explicit nulls are `.null`.
    static func arguments(of field: Field, variables: [String: JSONValue]) throws(AMEError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for argument in field.arguments {
            if let variable = argument.value as? Variable, variables[variable.name.value] == nil {
                continue  // An unset variable leaves the argument absent (spec §6.4.1).
            }
            result[argument.name.value] = try value(of: argument.value, variables: variables)
        }
        return result
    }
}
