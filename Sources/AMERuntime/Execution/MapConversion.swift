import GraphQL
import OrderedCollections

extension Map {
    /// The JSON view of a GraphQLSwift `Map` (used for introspection results).
    package var json: JSONValue {
        switch self {
        case .undefined, .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            switch number.storageType {
            case .bool: return .bool(number.boolValue)
            case .int: return .int(number.intValue)
            default: return .double(number.doubleValue)
            }
        case .string(let text): return .string(text)
        case .array(let elements): return .array(elements.map(\.json))
        case .dictionary(let dictionary): return .object(JSONObject(dictionary.map { ($0.key, $0.value.json) }))
        }
    }
}

extension JSONValue {
    /// The GraphQLSwift `Map` of a JSON value (variables passed to introspection).
    package var map: Map {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(number)
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .array(let elements): return .array(elements.map(\.map))
        case .object(let object):
            var dictionary = OrderedDictionary<String, Map>()
            for (key, value) in object.pairs { dictionary[key] = value.map }
            return .dictionary(dictionary)
        }
    }
}
