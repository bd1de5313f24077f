import AMERuntime
import Testing

/// The JSON parser's escapes (RFC 8259 §7) and malformed documents, and the writer's escaping:
/// what a request body or a variable can carry, and the error (with its byte offset) for each
/// malformed form.
@Suite struct JSONEscapeTests {
    @Test func everyEscapeDecodesToItsCharacter() throws {
        #expect(try JSONValue.parse(#""\" \\ \/ \b \f \n \r \t""#) == .string("\" \\ / \u{8} \u{C} \n \r \t"))
        #expect(try JSONValue.parse(#""\u0041\u00e9\u00E9\u20AC""#) == .string("Aéé€"))
        // A surrogate pair is one scalar outside the Basic Multilingual Plane.
        #expect(try JSONValue.parse(#""\ud83d\ude00!""#) == .string("😀!"))
        #expect(try JSONValue.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try JSONValue.parse(#"{"k\u0065y": ["\u0031"]}"#) == ["key": ["1"]])
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let text: String
        let reason: String
        let offset: Int
        var testDescription: String { "\(text) → \(reason)" }
    }

    static let malformed: [Malformed] = [
        Malformed(text: #""\ud83d""#, reason: "unpaired surrogate", offset: 7),
        Malformed(text: #""\ud83dx""#, reason: "unpaired surrogate", offset: 7),
        Malformed(text: #""\ud83d\u0041""#, reason: "invalid surrogate pair", offset: 13),
        Malformed(text: #""\ude00""#, reason: "invalid unicode escape", offset: 7),
        Malformed(text: #""\u12""#, reason: "short unicode escape", offset: 3),
        Malformed(text: #""\u12g4""#, reason: "invalid hex digit", offset: 6),
        Malformed(text: #""\x""#, reason: "invalid escape", offset: 3),
        Malformed(text: #""\"#, reason: "unterminated escape", offset: 2),
        Malformed(text: "\"a\u{1}b\"", reason: "control character in string", offset: 3),
        Malformed(text: #""abc"#, reason: "unterminated string", offset: 4),
        Malformed(text: "[1 2]", reason: "expected `,` or `]`", offset: 3),
        Malformed(text: #"{"a": 1 "b": 2}"#, reason: "expected `,` or `}`", offset: 8),
        Malformed(text: #"{"a" 1}"#, reason: "expected `:`", offset: 5),
        Malformed(text: "{1: 2}", reason: "expected a string key", offset: 1),
        Malformed(text: "[1,", reason: "unexpected end of input", offset: 3),
        Malformed(text: "[1", reason: "unterminated array", offset: 2),
        Malformed(text: #"{"a": 1"#, reason: "unterminated object", offset: 7),
        Malformed(text: "nul", reason: "unexpected character", offset: 0),
        Malformed(text: "1 2", reason: "unexpected text after the JSON value", offset: 2),
    ]

    @Test(arguments: malformed)
    func aMalformedDocumentIsRefusedWithTheReasonAndWhere(_ test: Malformed) {
        #expect {
            try JSONValue.parse(test.text)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.reason == test.reason && error.offset == test.offset
                && error.description == "invalid JSON at byte \(test.offset): \(test.reason)" && error.limit == nil
        }
    }

    @Test func nestingPastTheBoundIsItsOwnError() {
        let limits = JSONLimits(maxDepth: 3)
        #expect(throws: Never.self) { try JSONValue.parse("[[[1]]]", limits: limits) }
        for text in ["[[[[1]]]]", #"{"a":{"b":{"c":{"d":1}}}}"#, #"[{"a":[{"b":1}]}]"#] {
            #expect {
                try JSONValue.parse(text, limits: limits)
            } throws: { error in
                (error as? JSONParseError)?.limit == .jsonDepth
                    && (error as? JSONParseError)?.reason == "nesting deeper than 3"
            }
        }
    }

    @Test func theWriterEscapesWhatJSONRequiresAndRoundTrips() throws {
        let controls = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
        let text = controls + "\"\\/é😀"
        let written = JSONValue.string(text).jsonText
        // Every control character is escaped: none is written raw.
        #expect(!written.utf8.contains { $0 < 0x20 })
        #expect(written.contains(#"\u0001"#) && written.contains(#"\u001f"#) && written.contains(#"\n"#))
        #expect(try JSONValue.parse(written) == .string(text))
        // Doubles: whole values as integers, others as Swift's shortest text, non-finite as null.
        #expect(JSONValue.double(3).jsonText == "3")
        #expect(JSONValue.double(-2.5).jsonText == "-2.5")
        #expect(JSONValue.double(1e20).jsonText == "1e+20")
        #expect(JSONValue.double(.nan).jsonText == "null")
        #expect(JSONValue.double(-.infinity).jsonText == "null")
    }
}
