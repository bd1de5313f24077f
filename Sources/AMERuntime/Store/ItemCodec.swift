/// The embedded store's compact binary encoding of an ``Item``.
///
/// Layout: a varint count of attributes, then per attribute its name and a tagged value.
/// Tags: 0 null, 1 string, 2 number, 3 false, 4 true, 5 list, 6 map, 7 string set.
enum ItemCodec {
    struct CorruptItem: Error, CustomStringConvertible {
        var description: String { "a stored item is corrupt" }
    }

    static func encode(_ item: Item) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        // Sorted names keep the encoding deterministic.
        let names = item.keys.sorted()
        writeVarint(UInt64(names.count), &bytes)
        for name in names {
            writeString(name, &bytes)
            writeValue(item[name]!, &bytes)
        }
        return bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Item {
        try decode(bytes, keeping: nil, sizing: false).item
    }

    /// Decodes the attributes `projection` names (every attribute when `nil`); the others are
    /// passed over without being decoded. With `sizing`, also the ``CapacityRules`` size of the
    /// whole item, in the same pass (else 0).
    static func decode(
        _ bytes: UnsafeRawBufferPointer, keeping projection: ReadProjection?, sizing: Bool
    ) throws -> (item: Item, size: Int) {
        var reader = Reader(bytes: bytes)
        let count = try reader.varint()
        var item: Item = Dictionary(minimumCapacity: min(Int(count), projection?.attributes.count ?? Int(count)))
        var size = 0
        for _ in 0..<count {
            let name = try reader.skip()
            if projection?.contains(utf8: name) ?? true {
                let value = try reader.value(depth: 0)
                if sizing { size += name.count + CapacityRules.size(of: value) }
                item[String(decoding: name, as: UTF8.self)] = value
            } else {
                let skipped = try reader.valueSize(depth: 0)
                if sizing { size += name.count + skipped }
            }
        }
        return (item, size)
    }

    /// The ``CapacityRules`` size of an encoded item, read without decoding it.
    static func capacitySize(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var reader = Reader(bytes: bytes)
        let count = try reader.varint()
        var total = 0
        for _ in 0..<count { total += try reader.skip().count + reader.valueSize(depth: 0) }
        return total
    }

    private static func writeVarint(_ value: UInt64, _ bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func writeString(_ text: String, _ bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count), &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    private static func writeValue(_ value: ItemValue, _ bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(0)
        case .string(let text):
            bytes.append(1)
            writeString(text, &bytes)
        case .number(let text):
            bytes.append(2)
            writeString(text, &bytes)
        case .bool(let flag): bytes.append(flag ? 4 : 3)
        case .list(let values):
            bytes.append(5)
            writeVarint(UInt64(values.count), &bytes)
            for element in values { writeValue(element, &bytes) }
        case .map(let map):
            bytes.append(6)
            let names = map.keys.sorted()
            writeVarint(UInt64(names.count), &bytes)
            for name in names {
                writeString(name, &bytes)
                writeValue(map[name]!, &bytes)
            }
        case .stringSet(let values):
            bytes.append(7)
            writeVarint(UInt64(values.count), &bytes)
            for element in values { writeString(element, &bytes) }
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw CorruptItem() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let next = try byte()
                result |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return result }
                shift += 7
                guard shift < 64 else { throw CorruptItem() }
            }
        }

        mutating func string() throws -> String {
            let length = Int(try varint())
            guard offset + length <= bytes.count else { throw CorruptItem() }
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
        }

        /// Passes over a string, returning its bytes.
        mutating func skip() throws -> UnsafeRawBufferPointer {
            let length = Int(try varint())
            guard offset + length <= bytes.count else { throw CorruptItem() }
            defer { offset += length }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        }

        /// Passes over a value, returning its ``CapacityRules`` size.
        mutating func valueSize(depth: Int) throws -> Int {
            guard depth < 64 else { throw CorruptItem() }
            switch try byte() {
            case 0, 3, 4: return 1
            case 1: return try skip().count
            case 2: return CapacityRules.numberSize(utf8: try skip())
            case 5:
                var total = 3
                for _ in 0..<(try varint()) { total += 1 + (try valueSize(depth: depth + 1)) }
                return total
            case 6:
                var total = 3
                for _ in 0..<(try varint()) { total += 1 + (try skip().count) + (try valueSize(depth: depth + 1)) }
                return total
            case 7:
                var total = 0
                for _ in 0..<(try varint()) { total += try skip().count }
                return total
            default: throw CorruptItem()
            }
        }

        mutating func value(depth: Int) throws -> ItemValue {
            guard depth < 64 else { throw CorruptItem() }
            switch try byte() {
            case 0: return .null
            case 1: return .string(try string())
            case 2: return .number(try string())
            case 3: return .bool(false)
            case 4: return .bool(true)
            case 5:
                let count = try varint()
                var values: [ItemValue] = []
                for _ in 0..<count { values.append(try value(depth: depth + 1)) }
                return .list(values)
            case 6:
                let count = try varint()
                var map: [String: ItemValue] = [:]
                for _ in 0..<count {
                    let name = try string()
                    map[name] = try value(depth: depth + 1)
                }
                return .map(map)
            case 7:
                let count = try varint()
                var values: [String] = []
                for _ in 0..<count { values.append(try string()) }
                return .stringSet(values)
            default: throw CorruptItem()
            }
        }
    }
}
