/// A stored attribute value, shaped on DynamoDB's AttributeValue (`S`, `N`, `BOOL`, `NULL`,
/// `L`, `M`, `SS`). Numbers keep their decimal text, as DynamoDB does.
public enum ItemValue: Sendable, Hashable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case list([ItemValue])
    case map([String: ItemValue])
    case stringSet([String])

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

extension ItemValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

/// One stored item: attribute name → value.
public typealias Item = [String: ItemValue]

/// An item could not be decoded into its entity model.
public struct ItemDecodingError: Error, Sendable, CustomStringConvertible {
    public var attribute: String
    public var expected: String

    public init(attribute: String, expected: String) {
        self.attribute = attribute
        self.expected = expected
    }

    public var description: String { "stored attribute `\(attribute)` is not \(expected)" }
}

// MARK: - Typed access used by generated mappers

extension Dictionary where Key == String, Value == ItemValue {
    public func requiredString(_ name: String) throws(ItemDecodingError) -> String {
        guard case .string(let value)? = self[name] else {
            throw ItemDecodingError(attribute: name, expected: "a string")
        }
        return value
    }

    public func string(_ name: String) throws(ItemDecodingError) -> String? {
        try ItemValue.decodeString(self[name], name)
    }

    public func int(_ name: String) throws(ItemDecodingError) -> Int? {
        try ItemValue.decodeInt(self[name], name)
    }

    public func double(_ name: String) throws(ItemDecodingError) -> Double? {
        try ItemValue.decodeDouble(self[name], name)
    }

    public func bool(_ name: String) throws(ItemDecodingError) -> Bool? {
        try ItemValue.decodeBool(self[name], name)
    }

    public func json(_ name: String) -> JSONValue? {
        switch self[name] {
        case nil, .null?: nil
        case let value?: value.json
        }
    }

    public func list<T>(
        _ name: String, _ element: (ItemValue?, String) throws(ItemDecodingError) -> T?
    )
        throws(ItemDecodingError) -> [T]?
    {
        switch self[name] {
        case nil, .null?: return nil
        case .list(let values)?:
            var result: [T] = []
            result.reserveCapacity(values.count)
            for value in values {
                guard let element = try element(value, name) else {
                    throw ItemDecodingError(attribute: name, expected: "a list without nulls")
                }
                result.append(element)
            }
            return result
        case .stringSet(let values)?:
            var result: [T] = []
            for value in values {
                if let element = try element(.string(value), name) { result.append(element) }
            }
            return result
        default: throw ItemDecodingError(attribute: name, expected: "a list")
        }
    }

    public func map(_ name: String) throws(ItemDecodingError) -> Item? {
        switch self[name] {
        case nil, .null?: return nil
        case .map(let value)?: return value
        default: throw ItemDecodingError(attribute: name, expected: "a map")
        }
    }
}

extension ItemValue {
    public static func decodeString(_ value: ItemValue?, _ name: String) throws(ItemDecodingError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .number(let text)?: return text
        default: throw ItemDecodingError(attribute: name, expected: "a string")
        }
    }

    public static func decodeInt(_ value: ItemValue?, _ name: String) throws(ItemDecodingError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let number = Int(text) else { throw ItemDecodingError(attribute: name, expected: "an integer") }
            return number
        default: throw ItemDecodingError(attribute: name, expected: "a number")
        }
    }

    public static func decodeDouble(_ value: ItemValue?, _ name: String) throws(ItemDecodingError) -> Double? {
        switch value {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let number = Double(text) else { throw ItemDecodingError(attribute: name, expected: "a number") }
            return number
        default: throw ItemDecodingError(attribute: name, expected: "a number")
        }
    }

    public static func decodeBool(_ value: ItemValue?, _ name: String) throws(ItemDecodingError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw ItemDecodingError(attribute: name, expected: "a boolean")
        }
    }

    public static func decodeJSON(_ value: ItemValue?, _ name: String) throws(ItemDecodingError) -> JSONValue? {
        switch value {
        case nil, .null?: return nil
        case let value?: return value.json
        }
    }

    /// Encodes a Double the way DynamoDB stores numbers (shortest round-tripping text).
    public static func number(_ value: Double) -> ItemValue {
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
        return .number(String(value))
    }

    public static func number(_ value: Int) -> ItemValue { .number(String(value)) }
}

// MARK: - JSON conversion (for `data` and `JSON` fields)

extension ItemValue {
    /// The JSON view of a stored value. Maps come out with sorted keys.
    public var json: JSONValue {
        switch self {
        case .string(let text): return .string(text)
        case .number(let text):
            if let int = Int(text) { return .int(int) }
            return .double(Double(text) ?? 0)
        case .bool(let flag): return .bool(flag)
        case .null: return .null
        case .list(let values): return .array(values.map(\.json))
        case .stringSet(let values): return .array(values.map(JSONValue.string))
        case .map(let map):
            return .object(JSONObject(map.keys.sorted().map { ($0, map[$0]!.json) }))
        }
    }

    /// The stored form of a JSON value.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(String(number))
        case .double(let number): self = ItemValue.number(number)
        case .string(let text): self = .string(text)
        case .array(let values): self = .list(values.map(ItemValue.init(json:)))
        case .object(let object):
            var map: [String: ItemValue] = [:]
            for (key, value) in object.pairs { map[key] = ItemValue(json: value) }
            self = .map(map)
        }
    }
}
