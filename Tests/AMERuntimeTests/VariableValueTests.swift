import AMEGenerated
import AMERuntime
import Testing

/// Variable values are coerced to their declared types before anything runs (GraphQL spec
/// §6.4.1): a wrong value is a `BAD_USER_INPUT` naming the variable and the place inside it
/// (`$a.street`, `$m[0][1]`), `extensions.field` is the variable, and no store call is made.
@Suite struct VariableValueTests {
    /// The generated schema, plus a root field whose arguments are of the input types the
    /// generated API does not take (Float, ID, Decimal, input objects, nested lists): a schema of
    /// a package built on AME may. The field has no resolver, so a value that coerces reaches
    /// execution and gets `UNRESOLVED_FIELD` there.
    static let engine: GraphQLEngine = {
        let base = AMESchemaRegistry.registry
        let probe =
            "type Query {\n  probe(f: Float, i: ID, d: Decimal, a: AddressInput, p: ProbeInput, m: [[Int!]]): String\n"
        let sdl =
            base.sdl.replacingOccurrences(of: "type Query {\n", with: probe)
            + "\ninput ProbeInput {\n  name: String!\n  tags: [String!]\n}\n"
        let registry = SchemaRegistry(
            sdl: sdl, tablePrefix: base.tablePrefix, entities: base.entities, schemaVersion: base.schemaVersion)
        return try! GraphQLEngine(registry: registry, store: try! SQLiteStore(path: nil))
    }()

    static let probe = """
        query($f: Float, $i: ID, $d: Decimal, $a: AddressInput, $p: ProbeInput, $m: [[Int!]]) {
          probe(f: $f, i: $i, d: $d, a: $a, p: $p, m: $m)
        }
        """

    struct Case: CustomTestStringConvertible, Sendable {
        let query: String
        let variables: JSONObject
        let message: String
        let field: String
        var testDescription: String { message }
    }

    static let wrongValues: [Case] = [
        Case(
            query: "query($s: String) { contactProfileList(email: $s) { total } }", variables: ["s": 5],
            message: "variable `$s` must be a string", field: "s"),
        Case(
            query: "query($n: Int) { contactProfileList(limit: $n) { total } }", variables: ["n": 3_000_000_000],
            message: "variable `$n` must be a 32-bit integer", field: "n"),
        Case(
            query: "query($n: Int) { contactProfileList(limit: $n) { total } }", variables: ["n": "5"],
            message: "variable `$n` must be a 32-bit integer", field: "n"),
        Case(
            query: "query($n: Int) { contactProfileList(limit: $n) { total } }", variables: ["n": 1.5],
            message: "variable `$n` must be a 32-bit integer", field: "n"),
        Case(
            query: "query($n: Int!) { activityHistory(id: \"x\", timestamp: $n) { id } }", variables: ["n": .null],
            message: "variable `$n` must not be null", field: "n"),
        Case(
            query: "query($b: Boolean!) { ping @include(if: $b) }", variables: ["b": "yes"],
            message: "variable `$b` must be true or false", field: "b"),
        Case(
            query: "query($t: DateTime) { activityHistoryList(from: $t) { total } }", variables: ["t": 20_240_101],
            message: "variable `$t` must be a string", field: "t"),
        Case(
            query: "query($l: [String]) { attributeValueList(statuses: $l) { total } }", variables: ["l": ["a", 2]],
            message: "variable `$l[1]` must be a string", field: "l"),
        Case(
            query: probe, variables: ["f": "1.5"], message: "variable `$f` must be a number", field: "f"),
        Case(
            query: probe, variables: ["i": true], message: "variable `$i` must be an ID (a string or an integer)",
            field: "i"),
        Case(
            query: probe, variables: ["d": "1e5"],
            message: "variable `$d` must be a decimal number (a string of digits or an integer)", field: "d"),
        Case(
            query: probe, variables: ["d": "12."],
            message: "variable `$d` must be a decimal number (a string of digits or an integer)", field: "d"),
        Case(
            query: probe, variables: ["d": 1.5],
            message: "variable `$d` must be a decimal number (a string of digits or an integer)", field: "d"),
        Case(
            query: probe, variables: ["a": "1 Main St"],
            message: "variable `$a` must be an object of type AddressInput",
            field: "a"),
        Case(
            query: probe, variables: ["a": ["street": 1]], message: "variable `$a.street` must be a string",
            field: "a"),
        Case(
            query: probe, variables: ["a": ["country": "NL"]],
            message: "variable `$a.country` is not a field of AddressInput", field: "a"),
        Case(query: probe, variables: ["p": ["tags": ["x"]]], message: "variable `$p.name` is required", field: "p"),
        Case(
            query: probe, variables: ["p": ["name": .null]], message: "variable `$p.name` must not be null",
            field: "p"),
        Case(
            query: probe, variables: ["p": ["name": "x", "tags": ["a", .null]]],
            message: "variable `$p.tags[1]` must not be null", field: "p"),
        Case(
            query: probe, variables: ["m": [[1, .null]]], message: "variable `$m[0][1]` must not be null", field: "m"),
        Case(
            query: probe, variables: ["m": [[1], [2, "3"]]], message: "variable `$m[1][1]` must be a 32-bit integer",
            field: "m"),
    ]

    @Test(arguments: wrongValues)
    func aWrongValueIsRefusedNamingTheVariableBeforeAnythingRuns(_ test: Case) async throws {
        let response = await Self.engine.execute(
            GraphQLRequest(query: test.query, variables: test.variables), tenant: TestEngine.tenantA)
        #expect(response.errors.count == 1)
        let error = try #require(response.errors.first?.error)
        #expect(error.code == "BAD_USER_INPUT")
        #expect(error.message == test.message)
        #expect(error.extensions["field"] == .string(test.field))
        #expect(response.data == nil)
        #expect(response.storeCounters.storeCalls == 0)
    }

    static let rightValues: [JSONObject] = [
        ["f": 2], ["f": 2.5], ["i": "abc"], ["i": 7], ["d": "-12.50"], ["d": 3], ["d": "7"],
        ["a": ["street": "1 Main St", "zip": .null]], ["a": .null],
        ["p": ["name": "x"]], ["p": ["name": "x", "tags": "one"]], ["p": ["name": "x", "tags": .null]],
        ["m": 5], ["m": [5]], ["m": [[1, 2], .null]], ["m": .null],
    ]

    @Test(arguments: rightValues)
    func aValueOfTheDeclaredTypeReachesExecution(_ variables: JSONObject) async {
        let response = await Self.engine.execute(
            GraphQLRequest(query: Self.probe, variables: variables), tenant: TestEngine.tenantA)
        #expect(response.errors.map(\.error.code) == ["UNRESOLVED_FIELD"], "\(response.json.jsonText)")
        #expect(response.data?["probe"] == .null)
    }

    @Test(arguments: [JSONValue.string("cafe"), ["cafe"]])
    func aSingleValueOfAListVariableIsStoredAsAOneElementList(_ types: JSONValue) async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.engine.execute(
            GraphQLRequest(
                query: """
                    mutation($t: [String]) { insertUpdatePlace(region: "north", latitude: "1", longitude: "2",
                      businessName: "Corner", address: "1 Main St", types: $t, updatedBy: "test") { place { types } } }
                    """, variables: ["t": types]), tenant: TestEngine.tenantA)
        #expect(response.errors.isEmpty, "\(response.json.jsonText)")
        #expect(response.data?["insertUpdatePlace"]?["place"]?["types"] == ["cafe"])
    }
}
