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

    /// Appends a field and returns its slot, for filling it later.
    @discardableResult
    func append(_ key: String, _ value: ResultValue) -> Int {
        keys.append(key)
        values.append(value)
        return values.count - 1
    }
}

/// The objects of one selection resolved together (a page's items, a level's targets of one
/// relation): one allocation holds every object's fields, row by row, under one shared array of
/// keys, instead of an object and a values array per object.
final class ResultRows: @unchecked Sendable {
    let keys: [String]
    private(set) var values: [ResultValue]

    /// `count` objects with the fields `keys`, each null until filled.
    init(keys: [String], count: Int) {
        self.keys = keys
        values = Array(repeating: .null, count: keys.count * count)
    }

    subscript(row: Int, slot: Int) -> ResultValue {
        get { values[row * keys.count + slot] }
        set { values[row * keys.count + slot] = newValue }
    }

    /// The object in row `row`.
    func row(_ row: Int) -> ResultRow { ResultRow(rows: self, index: row) }
}

/// One object of a ``ResultRows``: what a field fills and what a parent's slot points to.
struct ResultRow: Hashable {
    let rows: ResultRows
    let index: Int

    subscript(slot: Int) -> ResultValue {
        get { rows[index, slot] }
        nonmutating set { rows[index, slot] = newValue }
    }

    static func == (lhs: ResultRow, rhs: ResultRow) -> Bool { lhs.rows === rhs.rows && lhs.index == rhs.index }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(rows))
        hasher.combine(index)
    }
}

enum ResultValue {
    case json(JSONValue)
    case object(ResultObject)
    /// An object held in a row of a ``ResultRows``.
    case row(ResultRows, Int)
    case list([ResultValue])

    static var null: ResultValue { .json(.null) }
}

extension JSONWriter {
    mutating func write(_ object: ResultObject) {
        writeObject(keys: object.keys) { object.values[$0] }
    }

    /// An object of `keys`, the value of each slot from `value`: a ``ResultObject`` or a row.
    private mutating func writeObject(keys: [String], value: (Int) -> ResultValue) {
        bytes.append(UInt8(ascii: "{"))
        for slot in keys.indices {
            writeMemberName(keys[slot], first: slot == 0)
            write(value(slot))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: ResultValue) {
        switch value {
        case .json(let json): write(json)
        case .object(let object): write(object)
        case .row(let rows, let row): writeObject(keys: rows.keys) { rows[row, $0] }
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
        case .row(let rows, let row):
            .object(JSONObject(rows.keys.indices.map { (rows.keys[$0], rows[row, $0].json) }))
        case .list(let elements): .array(elements.map(\.json))
        }
    }
}
