import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// Every field of the generated schema has a plan, decided when the engine starts: a field
/// renamed on one side only (the SDL or the runtime's definitions) is listed there and answers
/// `UNRESOLVED_FIELD`, never a silent null.
@Suite struct ExecutionPlanTests {
    @Test func everyFieldOfTheGeneratedSchemaHasAResolver() throws {
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        #expect(engine.unresolvedFields == [])
    }

    /// The system records' SDL and their stored attributes come from one declaration; an SDL that
    /// names a field the generated definitions do not know is caught.
    @Test func aSystemRecordFieldRenamedInTheSDLOnlyIsListedAndAnswersUnresolvedField() async throws {
        let base = AMESchemaRegistry.registry
        let sdl = base.sdl.replacingOccurrences(
            of: "  \"The value as stored, as JSON.\"\n  jsonValue: JSON", with: "  storedValue: JSON")
        #expect(sdl != base.sdl)
        let registry = SchemaRegistry(
            sdl: sdl, tablePrefix: base.tablePrefix, entities: base.entities, systemRecords: base.systemRecords,
            schemaVersion: base.schemaVersion)
        let engine = try GraphQLEngine(registry: registry, store: try SQLiteStore(path: nil))
        #expect(engine.unresolvedFields == ["AttributeValueType.storedValue"])
        try await engine.createTables()
        let keys = try await SampleData(corporations: 0, places: 1, contacts: 1, requests: 0)
            .load(into: engine, tenant: TestEngine.tenantA)

        let write = await engine.execute(
            GraphQLRequest(
                query: """
                    mutation { insertUpdateAttributeValue(dataIdentity: "\(keys.contacts[0])", dataType: "contact",
                      attributeName: "industry", value: "retail", updatedBy: "t") {
                      attributeValue { valueVersionUuid value storedValue } } }
                    """), tenant: TestEngine.tenantA)
        #expect(write.errors.map(\.error.code) == ["UNRESOLVED_FIELD"], "\(write.json.jsonText)")
        #expect(write.errors.first?.error.message == "`AttributeValueType.storedValue` has no resolver in this server")
        #expect(write.errors.first?.path == ["insertUpdateAttributeValue", "attributeValue", "storedValue"])
        let written = write.data?["insertUpdateAttributeValue"]?["attributeValue"]
        #expect(written?["value"] == "retail")
        #expect(written?["storedValue"] == .null)
        // Written, then read: the unresolved field fails where it is selected, with its name.
        let version = try #require(written?["valueVersionUuid"]?.stringValue)
        let read = await engine.execute(
            GraphQLRequest(query: "{ attributeValue(valueVersionUuid: \"\(version)\") { value storedValue } }"),
            tenant: TestEngine.tenantA)
        #expect(read.data?["attributeValue"]?["value"] == "retail")
        #expect(read.data?["attributeValue"]?["storedValue"] == .null)
        #expect(read.errors.map(\.path) == [["attributeValue", "storedValue"]])
    }

    /// The runtime's records are answered from their stored attributes by the generated
    /// definitions: every declared field of each record is planned from one.
    @Test func everySystemRecordFieldOfTheSDLIsAnsweredFromAStoredAttribute() throws {
        let registry = AMESchemaRegistry.registry
        #expect(registry.systemRecords.map(\.name) == ["AttributeValue", "ActivityHistory", "PresignedUploadUrl"])
        for record in registry.systemRecords {
            let block = try #require(
                registry.sdl.components(separatedBy: "type \(record.graphQL.objectType) {\n").dropFirst().first?
                    .components(separatedBy: "\n}").first)
            let declared = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.hasPrefix("\"") }.compactMap { $0.split(separator: ":").first.map(String.init) }
            #expect(declared == record.fields.map(\.graphQLName), "\(record.name)")
        }
    }
}
