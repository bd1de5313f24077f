import AMEFuzzTargets
import AMERuntime
import Foundation
import Testing

/// Every committed fuzz input (`Fuzz/corpus/<target>/`, the seeds, and `Fuzz/regressions/<target>/`,
/// what the fuzzer once crashed on) through its target's function, without the fuzzer: each
/// returns, and its answer keeps the promise of its input boundary.
@Suite struct FuzzCorpusTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz").standardizedFileURL

    /// The committed inputs of `target`, as paths under `Fuzz/`.
    static func inputs(_ target: String) -> [String] {
        ["corpus", "regressions"].flatMap { kind in
            let folder = fuzz.appendingPathComponent("\(kind)/\(target)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(kind)/\(target)/\($0)" }
        }
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fuzz.appendingPathComponent(path)))
    }

    static func name(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    @Test(arguments: ["request", "schema", "dynamodb"])
    func everyTargetHasASeedCorpus(_ target: String) {
        #expect(Self.inputs(target).filter { $0.hasPrefix("corpus/") }.count >= 10)
    }

    /// A body gets a GraphQL response (`data` or `errors`, never an internal error); the original
    /// API's queries and mutations (`query-*`, `mutation-*`) parse, validate and run.
    @Test(arguments: inputs("request"))
    func aRequestBodyGetsAGraphQLResponse(_ path: String) async throws {
        let outcome = await FuzzTargets.request(try Self.bytes(path))
        #expect(outcome.problem == nil, "\(outcome.status) \(outcome.body.map(\.jsonText) ?? "")")
        let name = Self.name(path)
        if path.hasPrefix("corpus/"), name.hasPrefix("query-") || name.hasPrefix("mutation-") {
            let codes = Self.codes(outcome)
            #expect(outcome.status == 200, "\(codes)")
            #expect(outcome.body?["data"] != nil)
            #expect(!codes.contains("GRAPHQL_PARSE_FAILED") && !codes.contains("GRAPHQL_VALIDATION_FAILED"), "\(codes)")
        }
    }

    static func codes(_ outcome: FuzzTargets.RequestOutcome) -> [String] {
        outcome.body?["errors"]?.arrayValue.compactMap { $0["extensions"]?["code"]?.stringValue } ?? []
    }

    @Test func hostileBodiesAreRefusedWithTheirOwnErrors() async {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        let outcome = await FuzzTargets.request(deep)
        #expect(outcome.status == 400)
        #expect(Self.codes(outcome) == ["JSON_TOO_DEEP"])
        let notJSON = await FuzzTargets.request(Array("{\"query\": \"{ ping }\"".utf8))
        #expect(notJSON.status == 400)
        #expect(Self.codes(notJSON) == ["BAD_USER_INPUT"])
    }

    /// Identical operations (or fragments) would trap inside GraphQLSwift's validation: they are
    /// refused with the errors of the rules that forbid repeating them.
    @Test(arguments: [
        ("query A { ping } query B { ping } query B { ping }", "There can be only one operation named \"B\"."),
        ("query A { ping } { ping } { ping }", "This anonymous operation must be the only defined operation."),
        (
            "query A { ...F } fragment F on Query { ping } fragment F on Query { ping }",
            "There can be only one fragment named \"F\"."
        ),
    ])
    func repeatedDefinitionsAreValidationErrors(_ query: String, _ message: String) async {
        let body = Array((["query": .string(query), "operationName": "A"] as JSONValue).jsonText.utf8)
        let outcome = await FuzzTargets.request(body)
        #expect(outcome.status == 400)
        #expect(Set(Self.codes(outcome)) == ["GRAPHQL_VALIDATION_FAILED"])
        #expect(outcome.body?["errors"]?.arrayValue.first?["message"]?.stringValue == message)
    }

    /// Schema files load to a schema or are refused with positioned diagnostics; the invalid
    /// fixtures get exactly the diagnostics `AMESchemaTests` expects of them.
    @Test(arguments: inputs("schema"))
    func schemaFilesLoadOrGetPositionedDiagnostics(_ path: String) throws {
        let outcome = FuzzTargets.schema(try Self.bytes(path))
        #expect(outcome.problem == nil)
        let name = Self.name(path)
        guard path.hasPrefix("corpus/") else { return }
        if name.hasPrefix("invalid-") {
            let fixture = Self.fuzz.appendingPathComponent(
                "../Tests/AMESchemaTests/Fixtures/invalid/\(name.dropFirst("invalid-".count))/expected.txt")
            let expected = try String(contentsOf: fixture, encoding: .utf8)
            guard case .diagnostics(let diagnostics) = outcome.result else {
                Issue.record("\(name) was accepted")
                return
            }
            #expect(
                diagnostics.map(\.description).sorted() == expected.split(separator: "\n").map(String.init).sorted())
        } else {
            guard case .schema(let entities) = outcome.result else {
                Issue.record("\(name) was refused: \(outcome.result)")
                return
            }
            #expect(!entities.isEmpty)
        }
    }

    @Test func schemaFilesThatAreNotUTF8AreRefusedBeforeLoading() {
        let outcome = FuzzTargets.schema([UInt8]("place.yaml\nentity: ".utf8) + [0xFF, 0xFE])
        guard case .notUTF8 = outcome.result else {
            Issue.record("\(outcome.result)")
            return
        }
        #expect(outcome.problem == nil)
    }

    /// Items each real DynamoDB answer holds, by the decoder that reads it.
    static let answeredItems: [String: [String: Int]] = [
        "getitem-found": ["GetItem": 1], "getitem-missing": ["GetItem": 0], "batchgetitem": ["BatchGetItem": 3],
        "query-page": ["Query": 2], "query-count": ["Query(COUNT)": 4], "query-empty": ["Query": 0],
    ]

    /// A DynamoDB answer is decoded or refused as malformed; the real answers are decoded with
    /// all their items.
    @Test(arguments: inputs("dynamodb"))
    func aDynamoDBAnswerIsDecodedOrRefused(_ path: String) throws {
        let outcome = FuzzTargets.dynamoDBResponse(try Self.bytes(path))
        #expect(outcome.problem == nil)
        guard path.hasPrefix("corpus/") else { return }
        #expect(outcome.isJSON)
        #expect(outcome.refused.isEmpty)
        for (decoder, count) in Self.answeredItems[Self.name(path)] ?? [:] {
            #expect(outcome.items[decoder] == count, "\(decoder)")
        }
    }

    @Test func aMalformedAttributeValueIsRefused() {
        let outcome = FuzzTargets.dynamoDBResponse(Array(#"{"Item": {"a": {"S": 1}}, "Items": [{"b": {}}]}"#.utf8))
        #expect(outcome.refused == ["GetItem", "Query", "Query(COUNT)"])
        #expect(outcome.items["BatchGetItem"] == 0)
    }
}
