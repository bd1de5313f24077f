import AMERuntime
import AMEServer
import Testing

/// Writes keep the domain's rules under concurrency, on both stores: references exist, unique
/// values stay unique, concurrent updates are never lost, and every write is audited once.
@Suite struct DomainWriteTests {
    static let insertContact = """
        mutation($email: String!, $place: String!) {
          insertUpdateContactProfile(email: $email, placeUuid: $place, updatedBy: "test") { contactProfile { contactUuid } }
        }
        """

    /// Runs `count` requests at once and returns their responses.
    static func concurrently(
        _ count: Int, _ request: @escaping @Sendable (Int) async -> GraphQLResponse
    ) async -> [GraphQLResponse] {
        await withTaskGroup(of: GraphQLResponse.self) { group in
            for index in 0..<count { group.addTask { await request(index) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRequestForAnUnknownContactIsAForeignKeyViolationAndWritesNothing(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 1, places: 1, contacts: 1, requests: 0))
        else { return }
        let response = await test.run(
            """
            mutation($p: String!) { insertUpdateContactRequest(contactUuid: "no-such-contact", placeUuid: $p,
              requestTitle: "t", requestDetail: "d", updatedBy: "test") { contactRequest { requestUuid } } }
            """, variables: ["p": .string(test.keys.places[0])])
        #expect(response.errorCodes == ["FOREIGN_KEY_VIOLATION"])
        #expect(response.errors.first?.error.message.contains("no-such-contact") == true)
        let list = await test.run("{ contactRequestList { total } }")
        #expect(list.data?["contactRequestList"]?["total"] == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func ofTwentyConcurrentInsertsWithOneEmailExactlyOneSucceeds(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 0, places: 1, contacts: 0, requests: 0))
        else { return }
        let place = test.keys.places[0]
        let responses = await Self.concurrently(20) { _ in
            await test.run(
                Self.insertContact, variables: ["email": "same@example.com", "place": .string(place)])
        }
        #expect(responses.filter(\.errors.isEmpty).count == 1)
        #expect(responses.flatMap(\.errorCodes).filter { $0 == "CONFLICT" }.count == 19)
        let list = await test.run("{ contactProfileList(email: \"same@example.com\") { total } }")
        #expect(list.data?["contactProfileList"]?["total"] == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func changingOrDeletingAnEmailFreesIt(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 0, places: 1, contacts: 0, requests: 0))
        else { return }
        let place = JSONValue.string(test.keys.places[0])
        let first = await test.run(Self.insertContact, variables: ["email": "a@example.com", "place": place])
        let key = try #require(first.data?["insertUpdateContactProfile"]?["contactProfile"]?["contactUuid"])
        let duplicate = await test.run(Self.insertContact, variables: ["email": "a@example.com", "place": place])
        #expect(duplicate.errorCodes == ["CONFLICT"])

        let rename = await test.run(
            "mutation($k: String!) { insertUpdateContactProfile(contactUuid: $k, email: \"b@example.com\", updatedBy: \"t\") { contactProfile { email } } }",
            variables: ["k": key])
        #expect(rename.errors.isEmpty)
        let reuse = await test.run(Self.insertContact, variables: ["email": "a@example.com", "place": place])
        #expect(reuse.errors.isEmpty, "the old email is free again")
        let taken = await test.run(
            "mutation($k: String!) { insertUpdateContactProfile(contactUuid: $k, email: \"a@example.com\", updatedBy: \"t\") { contactProfile { email } } }",
            variables: ["k": key])
        #expect(taken.errorCodes == ["CONFLICT"], "an update cannot take a used email either")

        _ = await test.run(
            "mutation($k: String!) { deleteContactProfile(contactUuid: $k) { ok } }", variables: ["k": key])
        let afterDelete = await test.run(Self.insertContact, variables: ["email": "b@example.com", "place": place])
        #expect(afterDelete.errors.isEmpty, "a deleted contact's email is free again")
    }

    @Test(arguments: StoreBackend.allCases)
    func fiftyConcurrentUpdatesOfDifferentAttributesAllLand(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        else { return }
        let contact = JSONValue.string(test.keys.contacts[0])
        let responses = await Self.concurrently(50) { index in
            await test.run(
                "mutation($k: String!, $d: JSONCamelCase) { insertUpdateContactProfile(contactUuid: $k, data: $d, updatedBy: \"t\") { contactProfile { contactUuid } } }",
                variables: ["k": contact, "d": .object(JSONObject([("attribute\(index)", .int(index))]))])
        }
        let failures = responses.flatMap(\.errors).map(\.error.message)
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        let read = await test.run(
            "query($k: String!) { contactProfile(contactUuid: $k) { data } }", variables: ["k": contact])
        guard case .object(let data)? = read.data?["contactProfile"]?["data"] else {
            Issue.record("no data")
            return
        }
        // `data` values are stored as strings (`values: string` in the schema).
        for index in 0..<50 {
            #expect(data["attribute\(index)"] == .string(String(index)), "attribute\(index) was lost")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentChangesToTheSameFieldAreAConflictNotASilentLoss(_ backend: StoreBackend) async throws {
        guard
            let test = try await TestEngine(
                backend: backend, seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        else { return }
        let contact = JSONValue.string(test.keys.contacts[0])
        let responses = await Self.concurrently(10) { index in
            await test.run(
                "mutation($k: String!, $n: String) { insertUpdateContactProfile(contactUuid: $k, firstName: $n, updatedBy: \"t\") { contactProfile { firstName } } }",
                variables: ["k": contact, "n": .string("name\(index)")])
        }
        let succeeded = responses.filter(\.errors.isEmpty)
        #expect(!succeeded.isEmpty)
        #expect(responses.allSatisfy { $0.errors.isEmpty || $0.errorCodes == ["CONFLICT"] })
        // Every acknowledged write is in the audit trail, one record each.
        let history = try await test.engine.store.query(
            QueryRequest(
                table: test.engine.registry.physicalTable(RuntimeTables.activityHistory),
                partition: .string(TestEngine.tenantA.partitionKey),
                sortCondition: .beginsWith(test.keys.contacts[0] + "#")))
        #expect(history.items.count == 1 + succeeded.count)
    }
}
