/// The response under construction. Objects are reference types so that a relation field can
/// be filled in after its level's batched load completes.
///
/// Sendable by contract: one execution builds the tree on one task, and it is only read once the
/// response is returned.
final class ResultObject: @unchecked Sendable {
    var keys: [String] = []
    var values: [ResultValue] = []

    /// An empty object; `capacity` reserves room for fields appended one by one.
    init(capacity: Int = 0) {
        if capacity > 0 {
            keys.reserveCapacity(capacity)
            values.reserveCapacity(capacity)
        }
    }

    /// Gives the object all its fields at once, null until filled: the keys array is shared with
    /// every object of the same selection.
    func prepare(keys: [String]) {
        self.keys = keys
        values = Array(repeating: .null, count: keys.count)
    }

    /// Appends a field and returns its slot, for filling it later.
    @discardableResult
    func append(_ key: String, _ value: ResultValue) -> Int {
        keys.append(key)
        values.append(value)
        return values.count - 1
    }
}

enum ResultValue {
    case json(JSONValue)
    case object(ResultObject)
    case list([ResultValue])

    static var null: ResultValue { .json(.null) }
}

extension JSONWriter {
    mutating func write(_ object: ResultObject) {
        bytes.append(UInt8(ascii: "{"))
        for index in object.keys.indices {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(string: object.keys[index])
            bytes.append(UInt8(ascii: ":"))
            write(object.values[index])
        }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: ResultValue) {
        switch value {
        case .json(let json): write(json)
        case .object(let object): write(object)
        case .list(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        }
    }
}

extension ResultObject {
    /// The finished object as a JSON value (used by tests and in-process callers).
    var json: JSONValue {
        .object(JSONObject(zip(keys, values.map(\.json)).map { ($0, $1) }))
    }
}

extension ResultValue {
    var json: JSONValue {
        switch self {
        case .json(let value): value
        case .object(let object): object.json
        case .list(let elements): .array(elements.map(\.json))
        }
    }
}
