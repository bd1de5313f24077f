import AMEGenerated
import AMERuntime
import AMEServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The original service's own integration checks, in order, black-box over GraphQL-over-HTTP,
/// on the embedded store and on moto_server.
@Suite struct OriginalChecksTests {
    /// A client of one running application.
    struct Client {
        let client: any TestClientProtocol

        func run(_ query: String, _ variables: JSONObject = [:]) async throws -> JSONValue {
            let body = ByteBuffer(
                string: (["query": .string(query), "variables": .object(variables)] as JSONValue).jsonText)
            return try await client.execute(
                uri: "/graphql", method: .post,
                headers: [HTTPField.Name("X-Endpoint-Id")!: "original", .contentType: "application/json"], body: body
            ) { try JSONValue.parse(String(buffer: $0.body)) }
        }

        func data(_ query: String, _ variables: JSONObject = [:]) async throws -> JSONValue {
            let response = try await run(query, variables)
            #expect(response["errors"] == nil, "\(response["errors"]?.jsonText ?? "")")
            return response["data"] ?? .null
        }

        func code(_ query: String, _ variables: JSONObject = [:]) async throws -> JSONValue? {
            try await run(query, variables)["errors"]?.arrayValue.first?["extensions"]?["code"]
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theOriginalChecksPass(_ backend: StoreBackend) async throws {
        guard let test = try await TestEngine(backend: backend, seed: nil) else { return }
        let app = Application(router: AMEHTTPServer.router(engine: test.engine, tenants: TenantResolver()))
        try await app.test(.router) { raw in
            let client = Client(client: raw)
            #expect(try await client.data("{ ping }")["ping"] == "pong")

            // Corporation: insert (generated id, 3 categories, data) → update → data round-trip.
            let corporation = try await client.data(
                """
                mutation { insertUpdateCorporationProfile(externalId: "X1", corporationType: "retail", businessName: "Acme",
                  categories: ["a", "b", "c"], address: {street: "1 Main", city: "Springfield", state: "IL", zip: "62701"},
                  data: {industry: "retail", size: 10}, updatedBy: "check") {
                  corporationProfile { corporationUuid categories data } } }
                """)["insertUpdateCorporationProfile"]?["corporationProfile"]
            let corporationID = try #require(corporation?["corporationUuid"]?.stringValue)
            #expect(corporationID.count == 36)
            #expect(corporation?["categories"] == ["a", "b", "c"])
            // `data` values are strings, as the original stores them.
            #expect(corporation?["data"] == ["industry": "retail", "size": "10"])
            let updatedCorporation = try await client.data(
                """
                mutation($k: String!) { insertUpdateCorporationProfile(corporationUuid: $k, businessName: "Acme Inc",
                  data: {size: 20}, updatedBy: "check") { corporationProfile { businessName externalId data } } }
                """, ["k": .string(corporationID)])["insertUpdateCorporationProfile"]?["corporationProfile"]
            #expect(
                updatedCorporation == [
                    "businessName": "Acme Inc", "externalId": "X1", "data": ["industry": "retail", "size": "20"],
                ])

            // Place: insert → update, then unlink from its corporation with `corporationUuid: null`.
            let place = try await client.data(
                """
                mutation($c: String!) { insertUpdatePlace(region: "north", latitude: "1.5", longitude: "2.5", businessName: "Shop",
                  address: "2 Main", corporationUuid: $c, updatedBy: "check") { place { placeUuid corporationProfile { businessName } } } }
                """, ["c": .string(corporationID)])["insertUpdatePlace"]?["place"]
            let placeID = try #require(place?["placeUuid"]?.stringValue)
            #expect(place?["corporationProfile"]?["businessName"] == "Acme Inc")
            let unlinked = try await client.data(
                """
                mutation($k: String!) { insertUpdatePlace(placeUuid: $k, website: "https://shop.example", corporationUuid: null,
                  updatedBy: "check") { place { website corporationUuid corporationProfile { businessName } } } }
                """, ["k": .string(placeID)])["insertUpdatePlace"]?["place"]
            #expect(unlinked == ["website": "https://shop.example", "corporationUuid": nil, "corporationProfile": nil])

            // Contact: insert, a duplicate email fails, update.
            let insertContact = """
                mutation($p: String!, $e: String!) { insertUpdateContactProfile(email: $e, firstName: "Ada", placeUuid: $p,
                  data: {tier: "silver"}, updatedBy: "check") { contactProfile { contactUuid } } }
                """
            let contactID = try #require(
                try await client.data(insertContact, ["p": .string(placeID), "e": "ada@example.com"])[
                    "insertUpdateContactProfile"]?["contactProfile"]?["contactUuid"]?.stringValue)
            #expect(
                try await client.code(insertContact, ["p": .string(placeID), "e": "ada@example.com"]) == "CONFLICT")
            let contact = try await client.data(
                """
                mutation($k: String!) { insertUpdateContactProfile(contactUuid: $k, lastName: "Lovelace", updatedBy: "check") {
                  contactProfile { firstName lastName email } } }
                """, ["k": .string(contactID)])["insertUpdateContactProfile"]?["contactProfile"]
            #expect(contact == ["firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"])

            // Request: an unknown contact fails; insert → update.
            let insertRequest = """
                mutation($c: String!, $p: String!) { insertUpdateContactRequest(contactUuid: $c, placeUuid: $p, requestTitle: "Quote",
                  requestDetail: "Please send a quote", updatedBy: "check") { contactRequest { requestUuid } } }
                """
            #expect(
                try await client.code(insertRequest, ["c": "no-such-contact", "p": .string(placeID)])
                    == "FOREIGN_KEY_VIOLATION")
            let requestID = try #require(
                try await client.data(insertRequest, ["c": .string(contactID), "p": .string(placeID)])[
                    "insertUpdateContactRequest"]?["contactRequest"]?["requestUuid"]?.stringValue)
            let request = try await client.data(
                """
                mutation($k: String!) { insertUpdateContactRequest(requestUuid: $k, requestTitle: "Quote, urgent", updatedBy: "check") {
                  contactRequest { requestTitle requestDetail } } }
                """, ["k": .string(requestID)])["insertUpdateContactRequest"]?["contactRequest"]
            #expect(request == ["requestTitle": "Quote, urgent", "requestDetail": "Please send a quote"])

            // The 4-level nested query (the place no longer has a corporation).
            let nested = try await client.data(
                """
                query($c: String!, $k: String!) { contactRequest(contactUuid: $c, requestUuid: $k) { requestTitle contactProfile { email
                  place { businessName corporationProfile { businessName } } data } } }
                """, ["c": .string(contactID), "k": .string(requestID)])["contactRequest"]
            #expect(
                nested
                    == [
                        "requestTitle": "Quote, urgent",
                        "contactProfile": [
                            "email": "ada@example.com", "place": ["businessName": "Shop", "corporationProfile": nil],
                            "data": ["tier": "silver"],
                        ],
                    ])

            // Lists: index precedence, total, a page past the end.
            for number in 1...4 {
                _ = try await client.data(
                    insertContact, ["p": .string(placeID), "e": .string("c\(number)@example.com")])
            }
            let byEmailAndPlace = try await client.run(
                "query($p: String) { contactProfileList(email: \"c2@example.com\", placeUuid: $p) { contactProfileList { email } total } }",
                ["p": .string(placeID)])
            #expect(
                byEmailAndPlace["data"]?["contactProfileList"]?["contactProfileList"] == [["email": "c2@example.com"]])
            #expect(byEmailAndPlace["data"]?["contactProfileList"]?["total"] == 1)
            // Served by the first declared index (email): the page and the total each read only the
            // one match (through the place index they would read the place's 5 contacts each).
            #expect(byEmailAndPlace["extensions"]?["cost"]?["itemsRead"] == 2)
            let all = try await client.data(
                "query($p: String) { contactProfileList(placeUuid: $p, limit: 2) { contactProfileList { email } total } }",
                ["p": .string(placeID)])
            #expect(all["contactProfileList"]?["total"] == 5)
            let past = try await client.data(
                "{ contactProfileList(limit: 2, pageNumber: 4) { contactProfileList { email } } }")
            #expect(past["contactProfileList"]?["contactProfileList"] == [])

            // Attribute versioning, and re-activation when the active version is deleted.
            _ = try await client.data(
                "mutation($k: String!) { insertUpdateContactProfile(contactUuid: $k, data: {tier: \"gold\"}, updatedBy: \"check\") { contactProfile { data } } }",
                ["k": .string(contactID)])
            let versions =
                try await client.data(
                    "query($k: String!) { attributeValueList(dataType: \"contact\", dataIdentity: $k, attributeName: \"tier\") { attributeValueList { valueVersionUuid value status } } }",
                    ["k": .string(contactID)])["attributeValueList"]?["attributeValueList"]?.arrayValue ?? []
            #expect(versions.count == 2)
            let active = try #require(versions.first { $0["status"] == "active" })
            #expect(active["value"] == "gold")
            _ = try await client.data(
                "mutation($v: String!) { deleteAttributeValue(valueVersionUuid: $v) { ok } }",
                ["v": active["valueVersionUuid"]!])
            let reactivated = try await client.data(
                "query($k: String!) { contactProfile(contactUuid: $k) { data } }", ["k": .string(contactID)])
            #expect(reactivated["contactProfile"]?["data"] == ["tier": "silver"])

            // Missing rows.
            #expect(
                try await client.code("{ contactProfile(contactUuid: \"missing\") { email } }") == "ENTITY_NOT_FOUND")
            #expect(
                try await client.code("mutation { deletePlace(placeUuid: \"missing\") { ok } }") == "ENTITY_NOT_FOUND")
            #expect(
                try await client.code(
                    "mutation { insertUpdatePlace(placeUuid: \"missing\", businessName: \"x\", updatedBy: \"check\") { place { placeUuid } } }"
                ) == "ENTITY_NOT_FOUND")
        }
    }
}
