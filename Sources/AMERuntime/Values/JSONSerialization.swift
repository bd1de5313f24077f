/// Writes JSON text without Foundation: results are serialized straight from the result tree.
public struct JSONWriter {
    public internal(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeRaw("null")
        case .bool(let flag): writeRaw(flag ? "true" : "false")
        case .int(let number): writeRaw(String(number))
        case .double(let number):
            if number.isFinite {
                if number == number.rounded(), abs(number) < 1e15 {
                    writeRaw(String(Int(number)))
                } else {
                    writeRaw(String(number))
                }
            } else {
                writeRaw("null")
            }
        case .string(let text): write(string: text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, element) in object.pairs {
                writeMemberName(key, first: first)
                first = false
                write(element)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// An object member's `"name":`, after a comma unless it is the object's first member: what
    /// every object this writes is made of.
    mutating func writeMemberName(_ name: String, first: Bool) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        write(string: name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func writeRaw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func write(string: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copied in one append.
        var text = string
        let copied = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, 110])
            case 0x0D: bytes.append(contentsOf: [92, 114])
            case 0x09: bytes.append(contentsOf: [92, 116])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Compact JSON text.
    public var jsonText: String {
        var writer = JSONWriter()
        writer.write(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Parses JSON text (RFC 8259).
    public static func parse(_ text: String, limits: JSONLimits = .trusted) throws(JSONParseError) -> JSONValue {
        try parse(bytes: Array(text.utf8), limits: limits)
    }

    /// Parses JSON text (RFC 8259) in time linear in its length; strings must be valid UTF-8.
    public static func parse(bytes: [UInt8], limits: JSONLimits = .trusted) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

/// The bounds of a JSON document, checked while it is parsed: a request body is parsed with the
/// request limits (`AME_MAX_JSON_DEPTH`, `AME_MAX_JSON_KEYS`, `AME_MAX_STRING_BYTES`); what AME
/// wrote itself or its operator configured is parsed with ``trusted``.
public struct JSONLimits: Sendable, Equatable {
    /// Nesting of arrays and objects.
    public var maxDepth: Int
    /// Object members, all objects of the document together.
    public var maxKeys: Int
    /// Bytes of one string (after unescaping).
    public var maxStringBytes: Int

    public init(maxDepth: Int = 64, maxKeys: Int = 10_000, maxStringBytes: Int = 65_536) {
        self.maxDepth = maxDepth
        self.maxKeys = maxKeys
        self.maxStringBytes = maxStringBytes
    }

    /// For JSON that does not come from a client.
    public static let trusted = JSONLimits(maxDepth: 512, maxKeys: .max, maxStringBytes: .max)
}

/// A JSON syntax error with its byte offset, or a bound of ``JSONLimits`` crossed.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    /// The bound crossed, when that is the problem.
    public var limit: InputLimit?
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }

    public init(offset: Int, reason: String, limit: InputLimit? = nil) {
        self.offset = offset
        self.reason = reason
        self.limit = limit
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let limits: JSONLimits
    var index = 0
    /// Object members read so far, for `maxKeys`.
    var keys = 0

    init(bytes: [UInt8], limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    func error(_ reason: String, limit: InputLimit? = nil) -> JSONParseError {
        JSONParseError(offset: index, reason: reason, limit: limit)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected character") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw error("unexpected character")
        }
        index += count
        return value
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "["):
            guard depth < limits.maxDepth else {
                throw error("nesting deeper than \(limits.maxDepth)", limit: .jsonDepth)
            }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                } else {
                    throw error("expected `,` or `]`")
                }
            }
        case UInt8(ascii: "{"):
            guard depth < limits.maxDepth else {
                throw error("nesting deeper than \(limits.maxDepth)", limit: .jsonDepth)
            }
            index += 1
            // Keys are found again through a hash of their bytes: a large object parses in linear
            // time, and two keys differ when their bytes do (not only when Unicode says so).
            var keys: [String] = []
            var values: [JSONValue] = []
            var positions: [[UInt8]: Int] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject())
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error("expected a string key")
                }
                self.keys += 1
                guard self.keys <= limits.maxKeys else {
                    throw error("more than \(limits.maxKeys) object members", limit: .jsonKeys)
                }
                let key = try parseStringBytes()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected `:`") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                if let position = positions[key] {
                    values[position] = value  // The last of duplicate keys wins, in the first one's place.
                } else {
                    positions[key] = keys.count
                    keys.append(String(decoding: key, as: UTF8.self))
                    values.append(value)
                }
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(JSONObject(keys: keys, values: values))
                } else {
                    throw error("expected `,` or `}`")
                }
            }
        default:
            return try parseNumber()
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 48 && byte <= 57 {
                index += 1
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            {
                isInteger = false
                index += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard !text.isEmpty, text != "-", let value = Double(text) else {
            index = start
            throw error("unexpected character")
        }
        return .double(value)
    }

    mutating func parseString() throws(JSONParseError) -> String {
        String(decoding: try parseStringBytes(), as: UTF8.self)
    }

    /// The UTF-8 bytes of a string, unescaped; refused when they are not valid UTF-8.
    mutating func parseStringBytes() throws(JSONParseError) -> [UInt8] {
        let start = index
        index += 1
        var scalars: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard scalars.count <= limits.maxStringBytes else {
                    index = start
                    throw error(
                        "a string of \(scalars.count) bytes, more than \(limits.maxStringBytes)", limit: .stringBytes)
                }
                guard String(validating: scalars, as: UTF8.self) != nil else {
                    index = start
                    throw error("a string that is not valid UTF-8")
                }
                return scalars
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw error("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(34)
                case UInt8(ascii: "\\"): scalars.append(92)
                case UInt8(ascii: "/"): scalars.append(47)
                case UInt8(ascii: "b"): scalars.append(8)
                case UInt8(ascii: "f"): scalars.append(12)
                case UInt8(ascii: "n"): scalars.append(10)
                case UInt8(ascii: "r"): scalars.append(13)
                case UInt8(ascii: "t"): scalars.append(9)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == 92, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid unicode escape") }
                    scalars.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    throw error("invalid escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            default:
                scalars.append(byte)
            }
        }
        throw error("unterminated string")
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw error("invalid hex digit")
            }
            value = value * 16 + digit
        }
        return value
    }
}
