import AMERuntime
import AMEServer
import Testing

/// Data written for one tenant is invisible to, and untouchable by, another: whatever the
/// arguments say; on both stores.
@Suite struct TenantIsolationTests {
    let b = TestEngine.tenantB

    static func engine(_ backend: StoreBackend) async throws -> TestEngine? {
        try await TestEngine(backend: backend, seed: SampleData(corporations: 2, places: 4, contacts: 6, requests: 3))
    }

    @Test(arguments: StoreBackend.allCases)
    func getsOfAnotherTenantsKeysReturnNull(_ backend: StoreBackend) async throws {
        guard let test = try await Self.engine(backend) else { return }
        let response = await test.run(
            """
            query($c: String!, $p: String!, $r: String!, $o: String!, $rc: String!) {
              contactProfile(contactUuid: $c) { email }
              place(placeUuid: $p) { businessName }
              contactRequest(contactUuid: $rc, requestUuid: $r) { requestTitle }
              corporationProfile(corporationUuid: $o) { businessName data }
            }
            """,
            variables: [
                "c": .string(test.keys.contacts[0]), "p": .string(test.keys.places[0]),
                "r": .string(test.keys.requests[0]), "o": .string(test.keys.corporations[0]),
                "rc": .string(test.keys.requestContacts[0]),
            ], tenant: b)
        #expect(response.errorCodes == Array(repeating: "ENTITY_NOT_FOUND", count: 4))
        // The gets are non-null fields: their nulls make `data` null.
        #expect(response.json["data"] == .null)
    }

    @Test(arguments: StoreBackend.allCases)
    func listsOfAnotherTenantAreEmpty(_ backend: StoreBackend) async throws {
        guard let test = try await Self.engine(backend) else { return }
        for list in ["contactProfileList", "placeList", "contactRequestList", "corporationProfileList"] {
            let response = await test.run("{ \(list) { \(list) { __typename } total } }", tenant: b)
            #expect(response.data?[list]?[list]?.arrayValue.isEmpty == true, "\(list)")
            #expect(response.data?[list]?["total"] == 0, "\(list)")
        }
        let filtered = await test.run(
            "{ contactProfileList(email: \"contact0@example.com\") { contactProfileList { email } } }", tenant: b)
        #expect(filtered.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.isEmpty == true)
        let related = await test.run(
            "query($p: String!) { contactProfileList(placeUuid: $p) { contactProfileList { email } } }",
            variables: ["p": .string(test.keys.places[0])], tenant: b)
        #expect(related.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.isEmpty == true)
    }

    @Test(arguments: StoreBackend.allCases)
    func anotherTenantCannotUpdateOrDelete(_ backend: StoreBackend) async throws {
        guard let test = try await Self.engine(backend) else { return }
        let contact = test.keys.contacts[0]
        let update = await test.run(
            "mutation($c: String!) { insertUpdateContactProfile(contactUuid: $c, firstName: \"Mallory\", updatedBy: \"b\") { contactProfile { firstName } } }",
            variables: ["c": .string(contact)], tenant: b)
        #expect(update.errorCodes == ["ENTITY_NOT_FOUND"])
        let delete = await test.run(
            "mutation($c: String!) { deleteContactProfile(contactUuid: $c) { ok } }",
            variables: ["c": .string(contact)],
            tenant: b)
        #expect(delete.errorCodes == ["ENTITY_NOT_FOUND"])

        let owner = await test.run(
            "query($c: String!) { contactProfile(contactUuid: $c) { firstName email data } }",
            variables: ["c": .string(contact)])
        #expect(owner.data?["contactProfile"]?["email"] == "contact0@example.com")
        #expect(owner.data?["contactProfile"]?["firstName"] != "Mallory")
        #expect(owner.data?["contactProfile"]?["data"]?["source"] == "seed")
    }

    @Test(arguments: StoreBackend.allCases)
    func aReferenceToAnotherTenantsRowIsAForeignKeyViolation(_ backend: StoreBackend) async throws {
        guard let test = try await Self.engine(backend) else { return }
        // Tenant B writes a contact whose place id is one of tenant A's places.
        let response = await test.run(
            """
            mutation($p: String!) { insertUpdateContactProfile(email: "b@example.com", placeUuid: $p, updatedBy: "b") {
              contactProfile { email place { businessName } } } }
            """, variables: ["p": .string(test.keys.places[0])], tenant: b)
        #expect(response.errorCodes == ["FOREIGN_KEY_VIOLATION"])
        let list = await test.run("{ contactProfileList { total } }", tenant: b)
        #expect(list.data?["contactProfileList"]?["total"] == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func aNextTokenIsRefusedForAnotherTenant(_ backend: StoreBackend) async throws {
        guard let test = try await Self.engine(backend) else { return }
        let page = await test.run("{ contactProfileList(limit: 2) { nextToken } }")
        let token = try #require(page.data?["contactProfileList"]?["nextToken"]?.stringValue)
        let own = await test.run(
            "query($t: String) { contactProfileList(limit: 2, nextToken: $t) { contactProfileList { email } } }",
            variables: ["t": .string(token)])
        #expect(own.data?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 2)
        let foreign = await test.run(
            "query($t: String) { contactProfileList(limit: 2, nextToken: $t) { contactProfileList { email } } }",
            variables: ["t": .string(token)], tenant: b)
        #expect(foreign.errorCodes == ["BAD_USER_INPUT"])
    }
}
