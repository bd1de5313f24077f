import AMEGenerated
import AMEReference
import AMERuntime
import AMEServer
import Testing

/// AME's executor answers every query as GraphQLSwift's own `graphql()` does with per-field
/// resolvers over the same store: the same data (values, order, nulls) and errors at the same
/// paths. Only the text of `nextToken`s differs (AME signs them), so only their presence is compared.
@Suite struct DifferentialTests {
    /// A seeded tenant, a place without a corporation, and another tenant whose rows must never show.
    struct Fixture {
        let engine: GraphQLEngine
        let reference: ReferenceExecutor
        let keys: SampleData.Keys
        let rows: QueryGenerator.Rows
        let tenant = Tenant(endpointId: "differential")

        init() async throws {
            let store = try SQLiteStore(path: nil)
            let registry = AMESchemaRegistry.registry
            // Random queries nest lists: the cost limits are not what is compared here.
            engine = try GraphQLEngine(
                registry: registry, store: store, limits: QueryLimits(maxComplexity: 1 << 40, maxDepth: 50))
            reference = try ReferenceExecutor(registry: registry, store: store)
            try await engine.createTables()
            keys = try await SampleData(corporations: 6, places: 20, contacts: 40, requests: 40).load(
                into: engine, tenant: tenant)
            _ = try await SampleData(corporations: 2, places: 3, contacts: 3, requests: 2, seed: 7).load(
                into: engine, tenant: Tenant(endpointId: "someone-else"))
            let lonely = await engine.execute(
                GraphQLRequest(
                    query: """
                        mutation { insertUpdatePlace(region: "north", latitude: "1", longitude: "2",
                          businessName: "Lonely place", address: "1 Nowhere", updatedBy: "test") { place { placeUuid } } }
                        """), tenant: tenant)
            #expect(lonely.errors.isEmpty)
            var rows: QueryGenerator.Rows = [:]
            for entity in registry.entities {
                let names = entity.fields.filter {
                    guard !$0.isImplicit, case .string = $0.type else { return false }
                    return true
                }.map(\.graphQLName)
                let response = await engine.execute(
                    GraphQLRequest(
                        query: "{ \(entity.graphQL.listField)(limit: 1000) { \(entity.graphQL.listField) { "
                            + names.joined(separator: " ") + " } } }"), tenant: tenant)
                rows[entity.name] =
                    (response.data?[entity.graphQL.listField]?[entity.graphQL.listField]?.arrayValue ?? [])
                    .map { row in names.reduce(into: [:]) { $0[$1] = row[$1]?.stringValue } }
            }
            self.rows = rows
        }

        /// Runs `query` on both executors: what differs (`nil` when the answers agree), and whether
        /// AME answered with errors.
        func compare(
            _ query: String, variables: JSONObject, operationName: String?
        ) async -> (
            difference: String?, hasErrors: Bool
        ) {
            let request = GraphQLRequest(query: query, variables: variables, operationName: operationName)
            let ame = await engine.execute(request, tenant: tenant).json
            let expected = await reference.execute(request, tenant: tenant).json
            let actualData = ame["data"].map(Self.markingTokens)
            let expectedData = expected["data"]
            let actualPaths = Self.errorPaths(ame)
            let expectedPaths = Self.errorPaths(expected)
            if actualData == expectedData && actualPaths == expectedPaths { return (nil, !actualPaths.isEmpty) }
            let difference = """
                query: \(query)
                variables: \(JSONValue.object(variables).jsonText)
                AME data:       \(actualData?.jsonText ?? "absent")
                reference data: \(expectedData?.jsonText ?? "absent")
                AME errors:       \(ame["errors"]?.jsonText ?? "none")
                reference errors: \(expected["errors"]?.jsonText ?? "none")
                """
            return (difference, !actualPaths.isEmpty)
        }

        static func errorPaths(_ response: JSONValue) -> [String] {
            (response["errors"]?.arrayValue ?? []).map { ($0["path"] ?? .array([])).jsonText }.sorted()
        }

        /// AME's signed `nextToken`s, replaced by the reference's mark.
        static func markingTokens(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let object):
                var result = JSONObject()
                for (key, member) in object.pairs {
                    if key == "nextToken", case .string = member {
                        result[key] = .string(ReferenceExecutor.tokenMark)
                    } else {
                        result[key] = markingTokens(member)
                    }
                }
                return .object(result)
            case .array(let elements): return .array(elements.map(markingTokens))
            default: return value
            }
        }
    }

    /// Queries written by hand, one per feature or edge of the specification.
    static func handWritten(
        _ keys: SampleData.Keys, rows: QueryGenerator.Rows
    ) -> [(query: String, variables: JSONObject, operation: String?)] {
        let contact = keys.contacts[3]
        let place = keys.places[2]
        let request = keys.requests[5]
        let corporation = keys.corporations[1]
        let requester = keys.requestContacts[5]
        let email = rows["ContactProfile"]?.first { $0["contactUuid"] == contact }?["email"] ?? "missing"
        let category = rows["CorporationProfile"].map { _ in "retail" } ?? "retail"
        return [
            ("{ contactProfile(email: \"\(email)\") { contactUuid email firstName partitionKey } }", [:], nil),
            ("query($e: String) { contactProfile(email: $e) { contactUuid } }", ["e": .string(email)], nil),
            ("{ contactProfile(email: \"nobody@example.com\") { contactUuid } }", [:], nil),
            ("{ contactRequest(contactUuid: \"missing\", requestUuid: \"\(request)\") { requestTitle } }", [:], nil),
            (
                "{ corporationProfileList(category: \"\(category)\") { total corporationProfileList { businessName categories } } }",
                [:], nil
            ),
            (
                "{ corporationProfileList(address: \"Spring\") { total corporationProfileList { businessName address } } }",
                [:], nil
            ),
            ("{ ping }", [:], nil),
            ("{ __typename ping }", [:], nil),
            ("{ contactProfile(contactUuid: \"\(contact)\") { email firstName lastName placeUuid } }", [:], nil),
            ("{ contactProfile(contactUuid: \"missing\") { email } }", [:], nil),
            ("{ a: contactProfile(contactUuid: \"missing\") { email } b: ping }", [:], nil),
            ("query($id: String!) { contactProfile(contactUuid: $id) { email data } }", ["id": .string(contact)], nil),
            ("query($id: String!) { contactProfile(contactUuid: $id) { email } }", [:], nil),
            ("query($id: String!) { contactProfile(contactUuid: $id) { email } }", ["id": 12], nil),
            ("query($l: Int) { contactProfileList(limit: $l) { total } }", ["l": "ten"], nil),
            ("query($l: Int = 3) { contactProfileList(limit: $l) { contactProfileList { email } } }", [:], nil),
            ("query($l: Int = 3) { contactProfileList(limit: $l) { contactProfileList { email } } }", ["l": 5], nil),
            ("query($l: Int = 3) { contactProfileList(limit: $l) { contactProfileList { email } } }", ["l": nil], nil),
            ("{ contactProfileList(limit: 0) { total } }", [:], nil),
            ("{ contactProfileList(limit: 5, pageNumber: 0) { total } }", [:], nil),
            ("{ contactProfileList(limit: 7, pageNumber: 3) { pageSize pageNumber total nextToken } }", [:], nil),
            ("{ contactProfileList(limit: 7, pageNumber: 6) { pageSize pageNumber total nextToken } }", [:], nil),
            ("{ contactProfileList(limit: 7, pageNumber: 9) { contactProfileList { email } nextToken } }", [:], nil),
            ("{ contactProfileList(placeUuid: \"\(place)\") { total contactProfileList { email } } }", [:], nil),
            ("{ contactProfileList(emailContains: \"7@\") { total contactProfileList { email } } }", [:], nil),
            (
                "{ contactProfileList(firstName: \"Ada\", emailContains: \"1\") { total contactProfileList { firstName email } } }",
                [:], nil
            ),
            ("{ placeList(corporationUuid: \"\(corporation)\", limit: 2) { nextToken total } }", [:], nil),
            (
                "{ placeList(region: \"north\") { placeList { businessName corporationProfile { businessName } } } }",
                [:], nil
            ),
            (
                "{ corporationProfileList { corporationProfileList { businessName categories address data } } }",
                [:], nil
            ),
            (
                "{ a: corporationProfileList(limit: 2) { pageSize } b: corporationProfileList(limit: 3) { pageSize } }",
                [:], nil
            ),
            (
                "{ contactProfileList(limit: 3) { contactProfileList { email e2: email place { placeUuid } place { businessName } } } }",
                [:], nil
            ),
            (
                "{ contactProfileList(limit: 3) { contactProfileList { ...names ...names place { ...placeName } } } } "
                    + "fragment names on ContactProfileType { firstName lastName } "
                    + "fragment placeName on PlaceType { businessName }",
                [:], nil
            ),
            (
                "{ contactProfileList(limit: 3) { contactProfileList { ...outer } } } "
                    + "fragment outer on ContactProfileType { email ...inner } "
                    + "fragment inner on ContactProfileType { firstName place { __typename } }",
                [:], nil
            ),
            (
                "{ contactProfileList(limit: 2) { contactProfileList { ... on ContactProfileType { email } ... { lastName } } } }",
                [:], nil
            ),
            (
                "query($yes: Boolean!, $no: Boolean!) { contactProfileList(limit: 2) { contactProfileList { "
                    + "a: email @include(if: $yes) b: email @include(if: $no) c: email @skip(if: $yes) "
                    + "d: email @skip(if: $no) e: email @include(if: $yes) @skip(if: $yes) } } }",
                ["yes": true, "no": false], nil
            ),
            (
                "query($on: Boolean = false) { contactProfileList(limit: 2) { contactProfileList { email "
                    + "place @include(if: $on) { businessName } ... @skip(if: $on) { firstName } } } }",
                [:], nil
            ),
            (
                "{ contactProfileList(limit: 2) { contactProfileList { email ...f @skip(if: true) } } } "
                    + "fragment f on ContactProfileType { firstName }",
                [:], nil
            ),
            (
                "{ contactRequest(contactUuid: \"\(requester)\", requestUuid: \"\(request)\") { requestTitle contactProfile { email place { "
                    + "businessName corporationProfile { businessName data } } data } place { placeUuid } } }",
                [:], nil
            ),
            (
                "{ place(placeUuid: \"\(place)\") { contactProfiles(limit: 2) { pageSize pageNumber total nextToken "
                    + "contactProfileList { email contactRequests { total contactRequestList { requestTitle } } } } } }",
                [:], nil
            ),
            ("{ place(placeUuid: \"\(place)\") { contactProfiles(limit: 0) { total } businessName } }", [:], nil),
            ("{ placeList(limit: 3) { placeList { contactProfiles(limit: 0) { total } businessName } } }", [:], nil),
            (
                "{ contactProfileList(limit: 3) { contactProfileList { place { contactProfiles(limit: 2000) { total } } } } }",
                [:], nil
            ),
            (
                "{ corporationProfile(corporationUuid: \"\(corporation)\") { places { total placeList { "
                    + "businessName corporationProfile { corporationUuid } } } } }",
                [:], nil
            ),
            (
                "{ placeList(businessName: \"Lonely place\") { placeList { corporationUuid corporationProfile { businessName } } } }",
                [:], nil
            ),
            (
                "{ c: contactProfile(contactUuid: \"\(contact)\") { email } p: place(placeUuid: \"\(place)\") { region } "
                    + "r: contactRequest(contactUuid: \"\(requester)\", requestUuid: \"\(request)\") { requestDetail } l: placeList(limit: 1) { total } }",
                [:], nil
            ),
            (
                "query A { ping } query B { contactProfile(contactUuid: \"\(contact)\") { lastName } }", [:], "B"
            ),
            ("query A { ping } query B { ping }", [:], nil),
            ("query A { ping }", [:], "C"),
            ("{ contactProfile(contactUuid: \"\(contact)\") { nope } }", [:], nil),
            ("{ contactProfile { email } }", [:], nil),
            ("{ contactProfileList { contactProfileList { ... on PlaceType { region } } } }", [:], nil),
            ("{ contactProfileList(limit: 2) { contactProfileList { email } ", [:], nil),
            ("{ __type(name: \"PlaceType\") { name kind } }", [:], nil),
            ("{ __schema { queryType { name } mutationType { name } } ping }", [:], nil),
            (
                "{ contactProfileList(limit: 2) { __typename contactProfileList { __typename place { __typename } } } }",
                [:], nil
            ),
        ]
    }

    @Test func handWrittenAndGeneratedQueriesAgreeWithTheReference() async throws {
        let fixture = try await Fixture()
        var cases = Self.handWritten(fixture.keys, rows: fixture.rows)
        var generator = QueryGenerator(registry: AMESchemaRegistry.registry, rows: fixture.rows, seed: 20_261_126)
        for _ in 0..<320 {
            let (query, variables) = generator.next()
            cases.append((query, variables, nil))
        }
        #expect(cases.count >= 300)
        var differences: [String] = []
        var withErrors = 0
        for (query, variables, operation) in cases {
            let outcome = await fixture.compare(query, variables: variables, operationName: operation)
            if let difference = outcome.difference { differences.append(difference) }
            if outcome.hasErrors { withErrors += 1 }
        }
        #expect(
            differences.isEmpty,
            "\(differences.count) of \(cases.count) differ; first:\n\(differences.prefix(2).joined(separator: "\n\n"))")
        // The cases exercise errors too, but most return data.
        #expect(withErrors > 10 && withErrors < cases.count / 2)
    }
}
