import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// The runtime's own lists page as the entity lists do: by `nextToken` (each record once, in
/// key order) or by `pageNumber` (the same records at the same positions), with `total` counting
/// every match; and writes naming what does not exist are refused.
@Suite struct SystemListPagingTests {
    static let page = """
        query($t: String, $n: Int) { activityHistoryList(id: "lead-9", limit: 2, nextToken: $t, pageNumber: $n) {
          nextToken pageNumber total activityHistoryList { log } } }
        """

    static func logs(_ response: GraphQLResponse) -> [String] {
        (response.data?["activityHistoryList"]?["activityHistoryList"]?.arrayValue ?? []).compactMap {
            $0["log"]?.stringValue
        }
    }

    @Test func aSystemListPagesByTokenAndByNumberOverTheSameRecords() async throws {
        let engine = try await TestEngine(seed: nil)
        for number in 0..<5 {
            let written = await engine.run(
                #"mutation { insertActivityHistory(id: "lead-9", type: "Note", log: "n\#(number)", updatedBy: "t") { activityHistory { id } } }"#
            )
            #expect(written.errors.isEmpty, "\(written.json.jsonText)")
        }
        _ = await engine.run(
            #"mutation { insertActivityHistory(id: "other", log: "elsewhere", updatedBy: "t") { activityHistory { id } } }"#
        )

        var byToken: [String] = []
        var token = JSONValue.null
        var pages = 0
        repeat {
            let response = await engine.run(Self.page, variables: ["t": token])
            #expect(response.errors.isEmpty, "\(response.json.jsonText)")
            byToken += Self.logs(response)
            token = response.data?["activityHistoryList"]?["nextToken"] ?? .null
            pages += 1
        } while token != .null && pages < 10
        #expect(pages == 3)
        #expect(byToken.count == 5)
        #expect(Set(byToken) == Set((0..<5).map { "n\($0)" }))

        for number in 1...3 {
            let response = await engine.run(Self.page, variables: ["n": .int(number)])
            #expect(response.errors.isEmpty)
            #expect(Self.logs(response) == Array(byToken[(number - 1) * 2..<min(5, number * 2)]))
            #expect(response.data?["activityHistoryList"]?["pageNumber"] == .int(number))
            #expect(response.data?["activityHistoryList"]?["total"] == 5)
        }
        let beyond = await engine.run(Self.page, variables: ["n": 4])
        #expect(Self.logs(beyond).isEmpty)

        // A token of this list is not one of another list's.
        let first = await engine.run(Self.page)
        let issued = try #require(first.data?["activityHistoryList"]?["nextToken"]?.stringValue)
        let foreign = await engine.run(
            "query($t: String) { attributeValueList(nextToken: $t) { total } }", variables: ["t": .string(issued)])
        #expect(foreign.errorCodes == ["BAD_USER_INPUT"])
        #expect(foreign.errors.first?.error.extensions["field"] == "nextToken")
    }

    @Test func writingAnAttributeOfAnUnknownDataTypeOrDeletingAnUnknownVersionIsRefused() async throws {
        let engine = try await TestEngine(seed: SampleData(corporations: 0, places: 1, contacts: 1, requests: 0))
        let unknown = await engine.run(
            #"mutation { insertUpdateAttributeValue(dataType: "planet", dataIdentity: "p", attributeName: "mass", value: "1", updatedBy: "t") { attributeValue { status } } }"#
        )
        #expect(unknown.errorCodes == ["BAD_USER_INPUT"])
        let message = try #require(unknown.errors.first?.error.message)
        #expect(message.hasPrefix("unknown data type `planet` (known: "))
        #expect(message.contains("contact"))
        #expect(unknown.errors.first?.error.extensions["field"] == "dataType")
        let delete = await engine.run(#"mutation { deleteAttributeValue(valueVersionUuid: "no-such-version") { ok } }"#)
        #expect(delete.errorCodes == ["ENTITY_NOT_FOUND"])
        #expect(delete.errors.first?.error.message == "AttributeValue `no-such-version` does not exist")
    }
}
