import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// A field of a shared object type served as that type (not as a JSON scalar): its
/// sub-selection picks the object's members, as the Library example's `dimensions { width }`.
@Suite struct ObjectFieldTests {
    /// The project's schema with the corporations' `address` answered as `AddressType`.
    static func engine() async throws -> TestEngine {
        let base = AMESchemaRegistry.registry
        var entities = base.entities
        let corporation = try #require(entities.firstIndex { $0.name == "CorporationProfile" })
        let address = try #require(entities[corporation].fields.firstIndex { $0.attribute == "address" })
        entities[corporation].fields[address].jsonScalar = nil
        let sdl = base.sdl.replacingOccurrences(of: "  address: JSONCamelCase\n", with: "  address: AddressType\n")
        #expect(sdl != base.sdl)
        let registry = SchemaRegistry(
            sdl: sdl, tablePrefix: base.tablePrefix, entities: entities, schemaVersion: base.schemaVersion)
        let engine = try GraphQLEngine(registry: registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        let keys = try await SampleData(corporations: 3, places: 0, contacts: 0, requests: 0)
            .load(into: engine, tenant: TestEngine.tenantA)
        return TestEngine(engine: engine, keys: keys)
    }

    @Test func anObjectFieldAnswersTheMembersItsSelectionNames() async throws {
        let test = try await Self.engine()
        let response = await test.run(
            "{ corporationProfileList { corporationProfileList { businessName address { city kind: __typename zip } } } }"
        )
        #expect(response.errorCodes == [], "\(response.json.jsonText)")
        let corporations = response.data?["corporationProfileList"]?["corporationProfileList"]?.arrayValue ?? []
        #expect(corporations.count == 3)
        for corporation in corporations {
            let address = try #require(corporation["address"])
            guard case .object(let members) = address else { Issue.record("not an object: \(address)"); continue }
            #expect(members.keys == ["city", "kind", "zip"])
            #expect(address["city"] == "Springfield")
            #expect(address["kind"] == "AddressType")
            #expect(address["zip"]?.stringValue?.hasPrefix("627") == true)
        }
        // A get answers it the same way.
        let key = try #require(test.keys.corporations.first)
        let get = await test.run("{ corporationProfile(corporationUuid: \"\(key)\") { address { state } } }")
        #expect(get.errorCodes == [])
        #expect(get.data?["corporationProfile"]?["address"] == ["state": "IL"])
    }
}
