/// The key conversions of the `JSONCamelCase` scalar: object keys are answered in camelCase at
/// every depth, and keys of a value that arrives in a variable are turned into snake_case before
/// it is stored (a literal written in the query is taken as written).
public enum JSONKeyCase {
    /// `employee_count` → `employeeCount`, at every depth of objects and arrays.
    public static func camelCased(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.pairs.map { (camelCase($0.0), camelCased($0.1)) }))
        case .array(let elements):
            return .array(elements.map(camelCased))
        default:
            return value
        }
    }

    /// `employeeCount` → `employee_count`, at every depth of objects and arrays.
    public static func snakeCased(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.pairs.map { (snakeCase($0.0), snakeCased($0.1)) }))
        case .array(let elements):
            return .array(elements.map(snakeCased))
        default:
            return value
        }
    }

    /// Each `_` followed by a letter or digit is dropped and that character upper-cased; a key
    /// without `_` is unchanged, and so are leading and trailing underscores.
    public static func camelCase(_ key: String) -> String {
        guard key.utf8.contains(UInt8(ascii: "_")) else { return key }
        var result = ""
        var upperNext = false
        for character in key {
            if character == "_" {
                if result.isEmpty || upperNext {
                    result.append("_")
                    upperNext = false
                } else {
                    upperNext = true
                }
                continue
            }
            if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        if upperNext { result.append("_") }
        return result
    }

    /// An upper-case letter starts a new word (`employeeCount` → `employee_count`,
    /// `pageURL` → `page_url`); a key with no upper-case letter is unchanged.
    public static func snakeCase(_ key: String) -> String {
        guard key.contains(where: \.isUppercase) else { return key }
        let characters = Array(key)
        var result = ""
        for (offset, character) in characters.enumerated() {
            if character.isUppercase, offset > 0, characters[offset - 1] != "_" {
                let previousIsLower = characters[offset - 1].isLowercase || characters[offset - 1].isNumber
                let nextIsLower = offset + 1 < characters.count && characters[offset + 1].isLowercase
                if previousIsLower || (characters[offset - 1].isUppercase && nextIsLower) { result.append("_") }
            }
            result += character.lowercased()
        }
        return result
    }

    /// The value in the style a field is answered with.
    public static func answer(_ value: JSONValue, _ style: JSONKeyStyle) -> JSONValue {
        style == .camelCase ? camelCased(value) : value
    }
}
