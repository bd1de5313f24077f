/// DynamoDB's JSON form of attribute values: `{"S": "…"}`, `{"N": "…"}`, `{"BOOL": …}`,
/// `{"NULL": true}`, `{"L": […]}`, `{"M": {…}}`, `{"SS": […]}`.
enum AttributeValueJSON {
    static func encode(_ value: ItemValue) -> JSONValue {
        switch value {
        case .string(let text): ["S": .string(text)]
        case .number(let text): ["N": .string(text)]
        case .bool(let flag): ["BOOL": .bool(flag)]
        case .null: ["NULL": true]
        case .list(let values): ["L": .array(values.map(encode))]
        case .map(let map): ["M": .object(JSONObject(map.keys.sorted().map { ($0, encode(map[$0]!)) }))]
        case .stringSet(let values): ["SS": .array(values.map(JSONValue.string))]
        }
    }

    static func encode(_ item: Item) -> JSONValue {
        .object(JSONObject(item.keys.sorted().map { ($0, encode(item[$0]!)) }))
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "DynamoDB returned a malformed attribute value" }
    }

    static func decode(_ json: JSONValue) throws -> ItemValue {
        guard case .object(let object) = json, object.count == 1, let type = object.keys.first,
            let payload = object.values.first
        else { throw Malformed() }
        switch (type, payload) {
        case ("S", .string(let text)): return .string(text)
        case ("N", .string(let text)): return .number(text)
        case ("BOOL", .bool(let flag)): return .bool(flag)
        case ("NULL", _): return .null
        case ("L", .array(let values)): return .list(try values.map(decode))
        case ("M", .object(let map)):
            var result: [String: ItemValue] = [:]
            for (name, value) in map.pairs { result[name] = try decode(value) }
            return .map(result)
        case ("SS", .array(let values)): return .stringSet(values.compactMap(\.stringValue))
        case ("NS", .array(let values)): return .list(values.compactMap(\.stringValue).map(ItemValue.number))
        default: throw Malformed()
        }
    }

    static func decodeItem(_ json: JSONValue) throws -> Item {
        guard case .object(let object) = json else { throw Malformed() }
        var item: Item = Dictionary(minimumCapacity: object.count)
        for (name, value) in object.pairs { item[name] = try decode(value) }
        return item
    }
}
