import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// Upsert and delete through the executor, on the embedded store.
@Suite struct MutationTests {
    @Test func insertGeneratesAKeyThenUpdateChangesOnlyTheGivenFields() async throws {
        let test = try await TestEngine(seed: nil)
        let insert = await test.run(
            """
            mutation { insertUpdatePlace(region: "west", latitude: "1", longitude: "2", businessName: "Cafe",
              address: "1 Road", website: "https://cafe.example", updatedBy: "alice") {
              place { placeUuid businessName website updatedBy createdAt } } }
            """)
        #expect(insert.errors.isEmpty)
        let place = try #require(insert.data?["insertUpdatePlace"]?["place"])
        let key = try #require(place["placeUuid"]?.stringValue)
        #expect(key.count == 36)
        #expect(place["updatedBy"] == "alice")

        let update = await test.run(
            """
            mutation($k: String!) { insertUpdatePlace(placeUuid: $k, businessName: "Cafe 2", website: null, updatedBy: "bob") {
              place { businessName region website updatedBy } } }
            """, variables: ["k": .string(key)])
        #expect(update.errors.isEmpty)
        let updated = try #require(update.data?["insertUpdatePlace"]?["place"])
        #expect(updated["businessName"] == "Cafe 2")
        #expect(updated["region"] == "west")
        #expect(updated["website"] == .null)
        #expect(updated["updatedBy"] == "bob")
    }

    @Test func aMissingRequiredFieldIsRefusedAndNothingIsWritten() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run(
            "mutation { insertUpdateContactProfile(firstName: \"No Email\", placeUuid: \"p\", updatedBy: \"x\") { contactProfile { contactUuid } } }"
        )
        #expect(response.errorCodes == ["BAD_USER_INPUT"])
        #expect(response.errors.first?.error.extensions["field"] == "email")
        #expect(response.errors.first?.path == ["insertUpdateContactProfile"])
        let list = await test.run("{ contactProfileList { total } }")
        #expect(list.data?["contactProfileList"]?["total"] == 0)
    }

    @Test func deleteRemovesTheRowAndASecondDeleteIsNotFound() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 0, requests: 0))
        let insert = await test.run(
            "mutation($p: String!) { insertUpdateContactProfile(email: \"a@example.com\", placeUuid: $p, data: {tier: \"gold\"}, updatedBy: \"x\") { contactProfile { contactUuid data } } }",
            variables: ["p": .string(test.keys.places[0])])
        let key = try #require(
            insert.data?["insertUpdateContactProfile"]?["contactProfile"]?["contactUuid"]?.stringValue)
        #expect(insert.data?["insertUpdateContactProfile"]?["contactProfile"]?["data"] == ["tier": "gold"])
        let delete = "mutation($k: String!) { deleteContactProfile(contactUuid: $k) { ok } }"
        let first = await test.run(delete, variables: ["k": .string(key)])
        #expect(first.data?["deleteContactProfile"]?["ok"] == true)
        let second = await test.run(delete, variables: ["k": .string(key)])
        #expect(second.errorCodes == ["ENTITY_NOT_FOUND"])
        let get = await test.run(
            "query($k: String!) { contactProfile(contactUuid: $k) { email } }", variables: ["k": .string(key)])
        #expect(get.json["data"] == .null)
        #expect(get.errorCodes == ["ENTITY_NOT_FOUND"])
    }

    @Test func upsertWithAnUnknownKeyIsNotFound() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run(
            "mutation { insertUpdatePlace(placeUuid: \"nope\", businessName: \"x\", updatedBy: \"x\") { place { placeUuid } } }"
        )
        #expect(response.errorCodes == ["ENTITY_NOT_FOUND"])
    }

    @Test func dataUpdatesMergeIntoTheActiveAttributes() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 0, requests: 0))
        let insert = await test.run(
            "mutation($p: String!) { insertUpdateContactProfile(email: \"d@example.com\", placeUuid: $p, data: {a: 1, b: \"x\"}, updatedBy: \"x\") { contactProfile { contactUuid } } }",
            variables: ["p": .string(test.keys.places[0])])
        let key = try #require(
            insert.data?["insertUpdateContactProfile"]?["contactProfile"]?["contactUuid"]?.stringValue)
        let update = await test.run(
            "mutation($k: String!) { insertUpdateContactProfile(contactUuid: $k, data: {b: \"y\", c: true}, updatedBy: \"x\") { contactProfile { data } } }",
            variables: ["k": .string(key)])
        #expect(
            update.data?["insertUpdateContactProfile"]?["contactProfile"]?["data"] == ["a": "1", "b": "y", "c": "true"])
    }
}

/// Requests that fail before execution get the GraphQL error codes of the contract.
@Suite struct RequestErrorTests {
    @Test func syntaxErrorsAreParseFailures() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run("{ contactProfileList { ")
        #expect(response.errorCodes == ["GRAPHQL_PARSE_FAILED"])
        #expect(response.data == nil)
        #expect(response.errors.first?.locations.first?.line == 1)
    }

    @Test func unknownFieldsAreValidationFailures() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run("{ contactProfileList { nope } }")
        #expect(response.errorCodes == ["GRAPHQL_VALIDATION_FAILED"])
        #expect(response.isRequestError)
    }

    @Test func introspectionDescribesTheGeneratedSchema() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run(
            "{ __schema { queryType { name } } __type(name: \"ContactProfileType\") { fields { name } } }")
        #expect(response.errors.isEmpty)
        #expect(response.data?["__schema"]?["queryType"]?["name"] == "Query")
        let fields = response.data?["__type"]?["fields"]?.arrayValue.compactMap { $0["name"]?.stringValue } ?? []
        #expect(fields.contains("place") && fields.contains("contactRequests") && fields.contains("data"))
        #expect(response.cost.storeCalls == 0)
    }

    @Test func introspectionFieldsKeepTheirPlaceAmongOtherRootFields() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run("{ ping __schema { queryType { name } } pong: ping }")
        guard case .object(let data)? = response.data else {
            Issue.record("no data")
            return
        }
        #expect(data.keys == ["ping", "__schema", "pong"])
        #expect(data["pong"] == "pong")
    }

    @Test func fragmentsAliasesAndTypenameResolve() async throws {
        let test = try await TestEngine(seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        let response = await test.run(
            """
            query { all: contactProfileList { items: contactProfileList { ...Contact } } }
            fragment Contact on ContactProfileType { __typename mail: email ... on ContactProfileType { place { __typename } } }
            """)
        #expect(response.errors.isEmpty)
        let contact = response.data?["all"]?["items"]?.arrayValue.first
        #expect(contact?["__typename"] == "ContactProfileType")
        #expect(contact?["mail"] == "contact0@example.com")
        #expect(contact?["place"]?["__typename"] == "PlaceType")
    }

    @Test func anOverlyComplexQueryIsRefusedBeforeAnyStoreCall() async throws {
        let test = try await TestEngine(seed: nil, limits: QueryLimits(maxComplexity: 50))
        let response = await test.run("{ contactProfileList(limit: 100) { contactProfileList { email } } }")
        #expect(response.errorCodes == ["QUERY_TOO_COMPLEX"])
        #expect(response.errors.first?.error.extensions["maxComplexity"] == 50)
        #expect(response.cost.complexity == 201)
        #expect(response.cost.storeCalls == 0)
    }
}

@Test func anUnreadableItemNullsItsPageNotItsNeighbours() async throws {
    let test = try await TestEngine(seed: SampleData(corporations: 1, places: 2, contacts: 4, requests: 0))
    // A contact whose email is stored as a map cannot be decoded. Its list is
    // `[ContactProfileType!]!`: the null propagates to the page (`contactProfileList`, nullable).
    let table = test.engine.registry.physicalTable("contact_profiles")
    try await test.engine.store.batchWriteItem([
        .put(
            table: table,
            item: [
                tenantAttribute: .string(TestEngine.tenantA.partitionKey), "contact_uuid": "zzz-unreadable",
                "email": .map(["not": "text"]),
            ])
    ])
    let response = await test.run(
        """
        { broken: contactProfileList { contactProfileList { email } }
          fine: placeList { placeList { businessName } } }
        """)
    #expect(response.data?["broken"] == .null)
    #expect(response.data?["fine"]?["placeList"]?.arrayValue.count == 2)
    #expect(response.errorCodes == ["INTERNAL"])
    #expect(response.errors.first?.path == ["broken", "contactProfileList", 4])
}

/// Repeated queries skip parsing and validation; the cache is bounded.
@Suite struct DocumentCacheTests {
    @Test func aRepeatedQueryIsParsedOnceAndTheCacheStaysWithinItsSize() async throws {
        let test = try await TestEngine(seed: nil, limits: QueryLimits(documentCacheSize: 2))
        _ = await test.run("{ ping }")
        _ = await test.run("{ ping }")
        _ = await test.run("{ ping }")
        var statistics = test.engine.documentCacheStatistics
        #expect(statistics.misses == 1)
        #expect(statistics.hits == 2)
        _ = await test.run("{ a: ping }")
        _ = await test.run("{ b: ping }")
        statistics = test.engine.documentCacheStatistics
        #expect(statistics.count == 2)
        // `{ ping }` was the least recently used and made room: it is parsed again.
        _ = await test.run("{ ping }")
        #expect(test.engine.documentCacheStatistics.misses == 4)
        // Invalid documents are not kept.
        _ = await test.run("{ nope }")
        _ = await test.run("{ nope }")
        #expect(test.engine.documentCacheStatistics.misses == 6)
    }
}

/// The complexity limiter cannot be made to work exponentially.
@Suite struct FragmentBombTests {
    /// Fragment `F<i>` uses `F<i+1>` twice (under two aliases): 2^n paths in n fragments.
    static func bomb(_ count: Int) -> String {
        var text = "{ contactProfileList(limit: 1) { contactProfileList { ...F0 } } }\n"
        for index in 0..<count {
            let next = index + 1 < count ? "...F\(index + 1)" : "email"
            text += """
                fragment F\(index) on ContactProfileType { email
                  a: place { contactProfiles(limit: 1) { contactProfileList { \(next) } } }
                  b: place { contactProfiles(limit: 1) { contactProfileList { \(next) } } } }

                """
        }
        return text
    }

    @Test func aFragmentBombIsRefusedBeforeItIsExpanded() async throws {
        // A generous depth limit, so that only the complexity limit can stop it.
        let test = try await TestEngine(seed: nil, limits: QueryLimits(maxDepth: 1000))
        let response = await test.run(Self.bomb(60))
        #expect(response.errorCodes == ["QUERY_TOO_COMPLEX"])
        #expect(response.cost.storeCalls == 0)
        let deep = try await TestEngine(seed: nil)
        #expect(await deep.run(Self.bomb(60)).errorCodes == ["QUERY_TOO_DEEP"])
    }
}

/// The complexity and depth limits can be set per tenant.
@Suite struct TenantLimitTests {
    @Test func aTenantsOwnLimitsReplaceTheDefaults() async throws {
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil),
            limits: QueryLimits(maxComplexity: 100),
            tenantLimits: try TenantLimits.parse(
                #"{"big": {"maxComplexity": 5000}, "big#small": {"maxComplexity": 10}}"#))
        try await engine.createTables()
        let query = GraphQLRequest(query: "{ contactProfileList(limit: 100) { contactProfileList { email } } }")
        let byDefault = await engine.execute(query, tenant: Tenant(endpointId: "other"))
        #expect(byDefault.errorCodes == ["QUERY_TOO_COMPLEX"])
        let big = await engine.execute(query, tenant: Tenant(endpointId: "big"))
        #expect(big.errors.isEmpty)
        #expect(big.cost.maxComplexity == 5000)
        let part = await engine.execute(query, tenant: Tenant(endpointId: "big", partId: "small"))
        #expect(part.errors.first?.error.extensions["maxComplexity"] == 10)
        #expect(throws: AMEError.self) { try TenantLimits.parse(#"{"x": {"maxComplexty": 1}}"#) }
    }
}

/// Variable values are coerced to their declared types before anything runs.
@Suite struct VariableCoercionTests {
    @Test func wrongVariableValuesAreRequestErrorsNamingTheVariable() async throws {
        let test = try await TestEngine(seed: nil)
        let list = "query($n: Int) { contactProfileList(limit: $n) { total } }"
        let wrongType = await test.run(list, variables: ["n": "ten"])
        #expect(wrongType.errorCodes == ["BAD_USER_INPUT"])
        #expect(wrongType.errors.first?.error.extensions["field"] == "n")
        #expect(wrongType.isRequestError)
        let required = await test.run("query($k: String!) { place(placeUuid: $k) { businessName } }")
        #expect(required.errorCodes == ["BAD_USER_INPUT"])
        let nullForNonNull = await test.run(
            "query($k: String!) { place(placeUuid: $k) { businessName } }", variables: ["k": nil])
        #expect(nullForNonNull.errorCodes == ["BAD_USER_INPUT"])
        let badObject = await test.run(
            """
            mutation($a: AddressInput) { insertUpdateCorporationProfile(externalId: "x", corporationType: "t",
              businessName: "b", address: $a, updatedBy: "u") { corporationProfile { corporationUuid } } }
            """, variables: ["a": ["street": 5]])
        #expect(badObject.errorCodes == ["BAD_USER_INPUT"])
        #expect(badObject.errors.first?.error.message.contains("$a.street") == true)
        // A single value where a list is expected is a list of one (spec input coercion).
        let single = await test.run(
            """
            mutation($c: [String!]) { insertUpdateCorporationProfile(externalId: "x", corporationType: "t",
              businessName: "b", address: {city: "c"}, categories: $c, updatedBy: "u") { corporationProfile { categories } } }
            """, variables: ["c": "one"])
        #expect(single.data?["insertUpdateCorporationProfile"]?["corporationProfile"]?["categories"] == ["one"])
        let fine = await test.run(list, variables: ["n": 3])
        #expect(fine.errors.isEmpty)
    }
}
