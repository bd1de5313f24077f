import GraphQL

/// Coerces the request's variable values to their declared types (GraphQL spec §6.4.1), so a
/// wrong value is a request error naming the variable, before anything runs.
struct VariableCoercion {
    let schema: GraphQLSchema

    /// The operation's variables: each given value coerced to its declared type, a default where
    /// none is given, and an error for a missing required one.
    func coerce(_ definitions: [VariableDefinition], given: JSONObject) throws(AMEError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for definition in definitions {
            let name = definition.variable.name.value
            if let value = given[name] {
                result[name] = try coerce(value, to: definition.type, path: name)
            } else if let defaultValue = definition.defaultValue {
                result[name] = try ArgumentCoercion.value(of: defaultValue, variables: [:])
            } else if definition.type is NonNullType {
                throw AMEError.badUserInput("variable `$\(name)` is required", field: name)
            }
        }
        return result
    }

    func coerce(_ value: JSONValue, to type: Type, path: String) throws(AMEError) -> JSONValue {
        switch type {
        case let nonNull as NonNullType:
            guard !value.isNull else { throw Self.error(path, "must not be null") }
            return try coerce(value, to: nonNull.type, path: path)
        case let list as ListType:
            if value.isNull { return .null }
            guard case .array(let elements) = value else {
                return .array([try coerce(value, to: list.type, path: path)])
            }
            var result: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                result.append(try coerce(element, to: list.type, path: "\(path)[\(index)]"))
            }
            return .array(result)
        case let named as NamedType:
            return try coerce(value, named: named.name.value, path: path)
        default:
            return value
        }
    }

    private func coerce(_ value: JSONValue, to type: GraphQLInputType, path: String) throws(AMEError) -> JSONValue {
        switch type {
        case let nonNull as GraphQLNonNull:
            guard !value.isNull else { throw Self.error(path, "must not be null") }
            guard let inner = nonNull.ofType as? GraphQLInputType else { return value }
            return try coerce(value, to: inner, path: path)
        case let list as GraphQLList:
            if value.isNull { return .null }
            guard let inner = list.ofType as? GraphQLInputType else { return value }
            guard case .array(let elements) = value else { return .array([try coerce(value, to: inner, path: path)]) }
            var result: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                result.append(try coerce(element, to: inner, path: "\(path)[\(index)]"))
            }
            return .array(result)
        case let named as GraphQLNamedType:
            return try coerce(value, named: named.name, path: path)
        default:
            return value
        }
    }

    private func coerce(_ value: JSONValue, named name: String, path: String) throws(AMEError) -> JSONValue {
        if value.isNull { return .null }
        switch name {
        case "String", "DateTime":
            guard case .string = value else { throw Self.error(path, "must be a string") }
            return value
        case "ID":
            switch value {
            case .string: return value
            case .int(let number): return .string(String(number))
            default: throw Self.error(path, "must be an ID (a string or an integer)")
            }
        case "Int":
            guard let number = value.intValue, abs(number) <= Int(Int32.max) else {
                throw Self.error(path, "must be a 32-bit integer")
            }
            return .int(number)
        case "Float":
            switch value {
            case .int(let number): return .double(Double(number))
            case .double: return value
            default: throw Self.error(path, "must be a number")
            }
        case "Boolean":
            guard case .bool = value else { throw Self.error(path, "must be true or false") }
            return value
        case "JSON":
            return value
        case "JSONCamelCase":
            // Keys of a value given in a variable are stored in snake_case (a literal is not).
            return JSONKeyCase.snakeCased(value)
        case "Decimal":
            switch value {
            case .string(let text) where DecimalText.isDigits(text): return value
            case .int(let number): return .string(String(number))
            default: throw Self.error(path, "must be a decimal number (a string of digits or an integer)")
            }
        default:
            guard let type = schema.getType(name: name) as? GraphQLInputObjectType else { return value }
            guard case .object(let object) = value else { throw Self.error(path, "must be an object of type \(name)") }
            let fields = (try? type.fields()) ?? [:]
            var result = JSONObject()
            for (key, fieldValue) in object.pairs {
                guard let field = fields[key] else {
                    throw Self.error("\(path).\(key)", "is not a field of \(name)")
                }
                result[key] = try coerce(fieldValue, to: field.type, path: "\(path).\(key)")
            }
            for (key, field) in fields where object[key] == nil && field.type is GraphQLNonNull {
                throw Self.error("\(path).\(key)", "is required")
            }
            return .object(result)
        }
    }

    private static func error(_ path: String, _ problem: String) -> AMEError {
        let variable = String(path.prefix { $0 != "." && $0 != "[" })
        return AMEError.badUserInput("variable `$\(path)` \(problem)", field: variable)
    }
}

/// The `Decimal` scalar's text: an optional `-`, digits, and an optional fraction.
enum DecimalText {
    static func isDigits(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
    }
}
