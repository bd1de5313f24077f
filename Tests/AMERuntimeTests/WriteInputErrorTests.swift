import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// The entity mutations' own input checks, each an error with its message and the argument it
/// names that writes nothing, and `__typename` wherever a client may select it.
@Suite struct WriteInputErrorTests {
    static let place = #"region: "north", latitude: "1", longitude: "2", businessName: "Corner", address: "1 Main St""#

    struct Case: CustomTestStringConvertible, Sendable {
        let mutation: String
        let message: String
        let field: String
        var testDescription: String { message }
    }

    /// `$k` is a seeded contact, `$p` its place.
    static let cases: [Case] = [
        Case(
            mutation: "insertUpdatePlace(\(place), updatedBy: \"\") { place { placeUuid } }",
            message: "`updatedBy` is required", field: "updatedBy"),
        Case(
            mutation: "insertUpdatePlace(placeUuid: \"\", \(place), updatedBy: \"t\") { place { placeUuid } }",
            message: "`placeUuid` must be a non-empty string", field: "placeUuid"),
        Case(
            mutation: #"insertUpdatePlace(placeUuid: "a\u0001b", "# + place
                + #", updatedBy: "t") { place { placeUuid } }"#,
            message: "`placeUuid` " + (Identifiers.textProblem("a\u{1}b", maxBytes: Identifiers.maxKeyBytes) ?? "?"),
            field: "placeUuid"),
        Case(
            mutation: #"insertUpdatePlace(placeUuid: $p, businessName: null, updatedBy: "t") { place { placeUuid } }"#,
            message: "`businessName` is required and cannot be cleared", field: "businessName"),
        Case(
            mutation:
                #"insertUpdateContactProfile(contactUuid: $k, data: "vip", updatedBy: "t") { contactProfile { email } }"#,
            message: "`data` must be a JSON object", field: "data"),
        Case(
            mutation:
                #"insertUpdateContactProfile(contactUuid: $k, data: [1, 2], updatedBy: "t") { contactProfile { email } }"#,
            message: "`data` must be a JSON object", field: "data"),
        Case(
            mutation: #"deleteContactProfile(contactUuid: "", updatedBy: "t") { ok }"#,
            message: "`contactUuid` is required", field: "contactUuid"),
    ]

    @Test(arguments: cases)
    func aWrongInputIsAnErrorNamingItsArgumentAndWritesNothing(_ test: Case) async throws {
        let engine = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        let read = """
            { placeList { total placeList { placeUuid businessName updatedAt } }
              contactProfileList { total contactProfileList { email data updatedAt } } }
            """
        let before = await engine.run(read)
        let variables: JSONObject = [
            "k": .string(engine.keys.contacts[0]), "p": .string(engine.keys.places[0]),
        ]
        let usesK = test.mutation.contains("$k")
        let usesP = test.mutation.contains("$p")
        let declarations = [usesK ? "$k: String" : nil, usesP ? "$p: String" : nil].compactMap { $0 }
        let header = declarations.isEmpty ? "mutation" : "mutation(\(declarations.joined(separator: ", ")))"
        let response = await engine.run(
            "\(header) { \(test.mutation) }",
            variables: variables.pairs.reduce(into: JSONObject()) { result, pair in
                if (pair.0 == "k" && usesK) || (pair.0 == "p" && usesP) { result[pair.0] = pair.1 }
            })
        #expect(response.errorCodes == ["BAD_USER_INPUT"], "\(response.json.jsonText)")
        #expect(response.errors.first?.error.message == test.message)
        #expect(response.errors.first?.error.extensions["field"] == .string(test.field))
        let after = await engine.run(read)
        #expect(after.data == before.data)
    }

    @Test func typenameIsAnsweredAtEveryLevel() async throws {
        let engine = try await TestEngine(seed: SampleData(corporations: 1, places: 2, contacts: 2, requests: 0))
        let query = await engine.run(
            "{ __typename placeList(limit: 1) { __typename placeList { __typename corporationProfile { __typename } } } }"
        )
        #expect(query.errors.isEmpty, "\(query.json.jsonText)")
        #expect(query.data?["__typename"] == "Query")
        #expect(query.data?["placeList"]?["__typename"] == "PlaceListType")
        #expect(query.data?["placeList"]?["placeList"]?.arrayValue.first?["__typename"] == "PlaceType")
        #expect(
            query.data?["placeList"]?["placeList"]?.arrayValue.first?["corporationProfile"]?["__typename"]
                == "CorporationProfileType"
        )

        let upsert = await engine.run(
            "mutation { __typename insertUpdatePlace(\(Self.place), updatedBy: \"t\") { __typename place { __typename placeUuid } } }"
        )
        #expect(upsert.errors.isEmpty, "\(upsert.json.jsonText)")
        #expect(upsert.data?["__typename"] == "Mutations")
        #expect(upsert.data?["insertUpdatePlace"]?["__typename"] == "InsertUpdatePlace")
        #expect(upsert.data?["insertUpdatePlace"]?["place"]?["__typename"] == "PlaceType")
        let key = try #require(upsert.data?["insertUpdatePlace"]?["place"]?["placeUuid"]?.stringValue)
        let delete = await engine.run(
            "mutation { deletePlace(placeUuid: \"\(key)\", updatedBy: \"t\") { __typename ok } }")
        #expect(delete.errors.isEmpty, "\(delete.json.jsonText)")
        #expect(delete.data?["deletePlace"] == ["__typename": "DeletePlace", "ok": true])
    }
}
