import AMERuntime
import Testing

/// The JSON parser a request body goes through: linear, bounded, strict about UTF-8.
@Suite struct JSONBoundsTests {
    @Test func anObjectOfManyKeysParsesWithEveryKeyInOrder() throws {
        // 40,000 keys took 21 s when each key was looked up in the keys before it.
        let keys = (0..<40_000).map { "k\($0)" }
        let text = "{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
        guard case .object(let object) = try JSONValue.parse(text, limits: JSONLimits(maxKeys: 50_000)) else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == keys)
    }

    @Test func duplicateKeysKeepTheFirstPlaceAndTheLastValue() throws {
        let value = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value == ["a": 3, "b": 2])
    }

    @Test func keysThatAreCanonicallyEqualButDifferInBytesAreTwoKeys() throws {
        guard case .object(let object) = try JSONValue.parse("{\"caf\u{E9}\":1,\"cafe\u{301}\":2}") else {
            Issue.record("not an object")
            return
        }
        #expect(object.count == 2)
    }

    @Test func eachBoundIsItsOwnError() {
        let limits = JSONLimits(maxDepth: 8, maxKeys: 5, maxStringBytes: 10)
        func limit(_ text: String) -> InputLimit? {
            do {
                _ = try JSONValue.parse(text, limits: limits)
                return nil
            } catch {
                return error.limit
            }
        }
        #expect(limit(String(repeating: "[", count: 9) + String(repeating: "]", count: 9)) == .jsonDepth)
        #expect(limit(String(repeating: "[", count: 8) + String(repeating: "]", count: 8)) == nil)
        #expect(limit(#"{"a":{"b":1,"c":2,"d":3},"e":4,"f":5}"#) == .jsonKeys)
        #expect(limit(#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#) == nil)
        #expect(limit(#"["0123456789x"]"#) == .stringBytes)
        #expect(limit(#"["0123456789"]"#) == nil)
    }

    @Test func invalidUTF8IsRefusedNotReplaced() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: bytes) }
        }
        #expect(try JSONValue.parse(bytes: [0x22, 0xC3, 0xA9, 0x22]) == "\u{E9}")
    }

    @Test func deepNestingWithinTheTrustedBoundDoesNotOverflowTheStack() throws {
        let text = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try JSONValue.parse(text) != .null)
        #expect(throws: JSONParseError.self) {
            try JSONValue.parse(String(repeating: "[", count: 100_000))
        }
    }
}
