import AMERuntime
import AMEServer
import Testing

/// Paging by `nextToken` and by `pageNumber`; tokens are signed and bound to their query.
@Suite struct PagingTests {
    let test: TestEngine

    init() async throws {
        test = try await TestEngine(seed: SampleData(corporations: 1, places: 2, contacts: 25, requests: 0))
    }

    func emails(_ response: GraphQLResponse) -> [String] {
        (response.data?["contactProfileList"]?["contactProfileList"]?.arrayValue ?? []).compactMap {
            $0["email"]?.stringValue
        }
    }

    @Test func nextTokensWalkTheWholeListOnce() async throws {
        var seen: [String] = []
        var token: JSONValue = .null
        repeat {
            let page = await test.run(
                "query($t: String) { contactProfileList(limit: 10, nextToken: $t) { contactProfileList { email } nextToken } }",
                variables: ["t": token])
            #expect(page.errors.isEmpty)
            seen += emails(page)
            token = page.data?["contactProfileList"]?["nextToken"] ?? .null
        } while token != .null
        #expect(seen.count == 25)
        #expect(Set(seen).count == 25)
    }

    @Test func pageNumbersMatchTheTokenPagesAndAPagePastTheEndIsEmpty() async throws {
        let first = await test.run("{ contactProfileList(limit: 10) { contactProfileList { email } nextToken } }")
        let second = await test.run("{ contactProfileList(limit: 10, pageNumber: 2) { contactProfileList { email } } }")
        let token = try #require(first.data?["contactProfileList"]?["nextToken"])
        let byToken = await test.run(
            "query($t: String) { contactProfileList(limit: 10, nextToken: $t) { contactProfileList { email } } }",
            variables: ["t": token])
        #expect(emails(second) == emails(byToken))
        let past = await test.run("{ contactProfileList(limit: 10, pageNumber: 4) { contactProfileList { email } } }")
        #expect(past.errors.isEmpty)
        #expect(emails(past).isEmpty)
    }

    @Test func aTamperedTokenOrOneFromAnotherQueryIsRefused() async throws {
        let first = await test.run("{ contactProfileList(limit: 5) { nextToken } }")
        let token = try #require(first.data?["contactProfileList"]?["nextToken"]?.stringValue)
        var tampered = Array(token)
        tampered[3] = tampered[3] == "A" ? "B" : "A"
        let edited = await test.run(
            "query($t: String) { contactProfileList(limit: 5, nextToken: $t) { nextToken } }",
            variables: ["t": .string(String(tampered))])
        #expect(edited.errorCodes == ["BAD_USER_INPUT"])
        let otherQuery = await test.run(
            "query($t: String, $p: String) { contactProfileList(limit: 5, placeUuid: $p, nextToken: $t) { nextToken } }",
            variables: ["t": .string(token), "p": .string(test.keys.places[0])])
        #expect(otherQuery.errorCodes == ["BAD_USER_INPUT"])
        let otherList = await test.run(
            "query($t: String) { placeList(nextToken: $t) { nextToken } }", variables: ["t": .string(token)])
        #expect(otherList.errorCodes == ["BAD_USER_INPUT"])
    }

    @Test func containsFiltersFillEveryPageAndCountOnlyMatches() async throws {
        // contact1, contact10…contact19 and contact21 contain "1": 12 of 25.
        var seen: [String] = []
        var token: JSONValue = .null
        repeat {
            let page = await test.run(
                "query($t: String) { contactProfileList(emailContains: \"1\", limit: 5, nextToken: $t) { contactProfileList { email } total nextToken } }",
                variables: ["t": token])
            #expect(page.errors.isEmpty)
            #expect(page.data?["contactProfileList"]?["total"] == 12)
            let emails = emails(page)
            token = page.data?["contactProfileList"]?["nextToken"] ?? .null
            if token != .null { #expect(emails.count == 5, "a page came back short while more matches exist") }
            seen += emails
        } while token != .null
        #expect(seen.count == 12)
        #expect(seen.allSatisfy { $0.contains("1") })
    }

    @Test func aRelationPagesWithItsOwnToken() async throws {
        let place = JSONValue.string(test.keys.places[0])
        let query = """
            query($p: String!, $t: String) { place(placeUuid: $p) { contactProfiles(limit: 5, nextToken: $t) {
              contactProfileList { email } nextToken total } } }
            """
        var seen: [String] = []
        var token: JSONValue = .null
        repeat {
            let page = await test.run(query, variables: ["p": place, "t": token])
            #expect(page.errors.isEmpty)
            let relation = page.data?["place"]?["contactProfiles"]
            seen += (relation?["contactProfileList"]?.arrayValue ?? []).compactMap { $0["email"]?.stringValue }
            #expect(relation?["total"] == 13)
            token = relation?["nextToken"] ?? .null
        } while token != .null
        // 25 contacts over 2 places: the first place has 13.
        #expect(seen.count == 13)
        #expect(Set(seen).count == 13)
    }
}
