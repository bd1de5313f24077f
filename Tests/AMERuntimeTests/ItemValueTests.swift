import AMEGenerated
import AMERuntime
import Testing

/// The typed access the generated models decode stored items with, and the JSON view of stored
/// values: what each kind of value decodes to, and the error (attribute and what was expected)
/// when a stored value is not of its field's type.
@Suite struct ItemValueTests {
    static let item: Item = [
        "name": "Ada", "count": .number("12"), "ratio": .number("0.25"), "fraction": .number("1.5"),
        "word": .number("abc"), "flag": .bool(true), "nothing": .null,
        "tags": .list(["a", "b"]), "holes": .list(["a", .null]), "set": .stringSet(["x", "y"]),
        "mixed": .list([.number("1"), .bool(false)]), "address": .map(["city": "Paris", "zip": .number("75001")]),
    ]

    /// `name`'s decoding failed with `expected`.
    static func failure(
        _ name: String, _ expected: String, _ decode: () throws(ItemDecodingError) -> Any?
    ) {
        do {
            let value = try decode()
            Issue.record("`\(name)` decoded to \(String(describing: value)) instead of failing")
        } catch {
            #expect(error.attribute == name)
            #expect(error.expected == expected)
            #expect(error.description == "stored attribute `\(name)` is not \(expected)")
        }
    }

    @Test func eachKindDecodesToItsValueAndAbsentOrNullToNil() throws {
        let item = Self.item
        #expect(try item.requiredString("name") == "Ada")
        #expect(try item.string("name") == "Ada")
        // A number where a string is expected is its decimal text, as DynamoDB keeps it.
        #expect(try item.string("count") == "12")
        #expect(try item.int("count") == 12)
        #expect(try item.double("ratio") == 0.25)
        #expect(try item.bool("flag") == true)
        #expect(try item.list("tags", ItemValue.decodeString) == ["a", "b"])
        #expect(try item.list("set", ItemValue.decodeString) == ["x", "y"])
        #expect(try item.map("address") == ["city": "Paris", "zip": .number("75001")])
        #expect(item.json("address") == ["city": "Paris", "zip": 75001])
        #expect(try ItemValue.decodeJSON(item["mixed"], "mixed") == [1, false])
        for name in ["nothing", "missing"] {
            #expect(try item.string(name) == nil)
            #expect(try item.int(name) == nil)
            #expect(try item.double(name) == nil)
            #expect(try item.bool(name) == nil)
            #expect(try item.list(name, ItemValue.decodeString) == nil)
            #expect(try item.map(name) == nil)
            #expect(item.json(name) == nil)
            #expect(try ItemValue.decodeJSON(item[name], name) == nil)
        }
    }

    @Test func aValueOfAnotherTypeIsAnErrorNamingTheAttributeAndTheTypeExpected() {
        let item = Self.item
        Self.failure("count", "a string") { () throws(ItemDecodingError) in try item.requiredString("count") }
        Self.failure("missing", "a string") { () throws(ItemDecodingError) in try item.requiredString("missing") }
        Self.failure("flag", "a string") { () throws(ItemDecodingError) in try item.string("flag") }
        Self.failure("name", "a number") { () throws(ItemDecodingError) in try item.int("name") }
        Self.failure("fraction", "an integer") { () throws(ItemDecodingError) in try item.int("fraction") }
        Self.failure("name", "a number") { () throws(ItemDecodingError) in try item.double("name") }
        Self.failure("word", "a number") { () throws(ItemDecodingError) in try item.double("word") }
        Self.failure("name", "a boolean") { () throws(ItemDecodingError) in try item.bool("name") }
        Self.failure("name", "a list") { () throws(ItemDecodingError) in
            try item.list("name", ItemValue.decodeString)
        }
        Self.failure("holes", "a list without nulls") { () throws(ItemDecodingError) in
            try item.list("holes", ItemValue.decodeString)
        }
        // An element of the wrong type is reported by the element's decoder, under the list's name.
        Self.failure("mixed", "a boolean") { () throws(ItemDecodingError) in
            try item.list("mixed", ItemValue.decodeBool)
        }
        Self.failure("tags", "a map") { () throws(ItemDecodingError) in try item.map("tags") }
    }

    @Test func theJSONViewAndTheStoredFormOfJSONRoundTrip() {
        #expect(ItemValue.number("3").json == 3)
        #expect(ItemValue.number("2.5").json == 2.5)
        #expect(ItemValue.stringSet(["p", "q"]).json == ["p", "q"])
        #expect(ItemValue.null.json == .null)
        // Maps come out with their keys sorted.
        #expect(ItemValue.map(["b": "2", "a": "1"]).json.jsonText == #"{"a":"1","b":"2"}"#)
        let json: JSONValue = ["s": "x", "i": 7, "d": 0.5, "whole": 2.0, "b": true, "n": .null, "l": [1, ["k": "v"]]]
        let stored = ItemValue(json: json)
        #expect(
            stored
                == .map([
                    "s": "x", "i": .number("7"), "d": .number("0.5"), "whole": .number("2"), "b": .bool(true),
                    "n": .null, "l": .list([.number("1"), .map(["k": "v"])]),
                ]))
        #expect(stored.json == ["b": true, "d": 0.5, "i": 7, "l": [1, ["k": "v"]], "n": .null, "s": "x", "whole": 2])
        // Doubles are stored as DynamoDB writes numbers: whole values without a fraction, others
        // (and values too large for an exact integer) in Swift's shortest round-tripping text.
        #expect(ItemValue.number(42.0) == .number("42"))
        #expect(ItemValue.number(-0.125) == .number("-0.125"))
        #expect(ItemValue.number(1e20) == .number("1e+20"))
        #expect(ItemValue.number(9) == .number("9"))
        #expect(ItemValue("text").stringValue == "text")
        #expect(ItemValue.bool(true).stringValue == nil)
    }

    /// A stored row whose attribute is not its field's type (written by another program) is an
    /// `INTERNAL` error at the row's path; the row is non-null in its list, so the page is null
    /// (GraphQL spec §6.4.4), and a get of it is null too. Nothing else of the response is lost,
    /// and a query that does not select the broken attribute is answered.
    @Test func aStoredRowOfTheWrongShapeIsAnErrorAtItsPath() async throws {
        let store = try SQLiteStore(path: nil)
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: store)
        try await engine.createTables()
        let tenant = TestEngine.tenantA
        for name in ["First", "Second"] {
            let created = await engine.execute(
                GraphQLRequest(
                    query: """
                        mutation { insertUpdatePlace(region: "north", latitude: "1", longitude: "2",
                          businessName: "\(name)", address: "1 Main St", types: ["cafe"], updatedBy: "test") { place { placeUuid } } }
                        """), tenant: tenant)
            #expect(created.errors.isEmpty, "\(created.json.jsonText)")
        }
        let table = AMESchemaRegistry.registry.physicalTable(Place.definition.table)
        let page = try await store.query(QueryRequest(table: table, partition: .string(tenant.partitionKey)))
        let position = try #require(page.items.firstIndex { $0["business_name"] == "Second" })
        var broken = page.items[position]
        broken["types"] = "cafe"
        try await store.batchWriteItem([.put(table: table, item: broken)])

        let response = await engine.execute(
            GraphQLRequest(query: "{ ping placeList { placeList { businessName types } } }"), tenant: tenant)
        #expect(response.data?["ping"] == "pong")
        #expect(response.data?["placeList"] == .null)
        #expect(response.errors.map(\.error.code) == ["INTERNAL"])
        #expect(response.errors.first?.error.message == "internal error")
        #expect(response.errors.first?.path == ["placeList", "placeList", .int(position)])

        let uuid = try #require(broken["place_uuid"]?.stringValue)
        // Only what a query selects is decoded: the broken attribute fails the queries that read it.
        let unaffected = await engine.execute(
            GraphQLRequest(query: "{ place(placeUuid: \"\(uuid)\") { businessName } }"), tenant: tenant)
        #expect(unaffected.errors.isEmpty)
        #expect(unaffected.data?["place"]?["businessName"] == "Second")
        let get = await engine.execute(
            GraphQLRequest(query: "{ place(placeUuid: \"\(uuid)\") { businessName types } }"), tenant: tenant)
        #expect(get.errors.map(\.error.code) == ["INTERNAL"])
        #expect(get.errors.first?.path == ["place"])
        #expect(get.data == nil || get.data?["place"] == .null)
    }
}
