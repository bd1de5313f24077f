import AMEGenerated
import AMERuntime
import AMEServer
import Testing

/// Every generated model encodes back the item it was decoded from, without the tenant attribute
/// (the contract of `EntityModel.item()` a package built on AME writes with), over rows that the
/// mutations wrote, their audit fields included.
@Suite struct ModelItemTests {
    @Test func eachEntitysItemRoundTripsThroughItsModel() async throws {
        let store = try SQLiteStore(path: nil)
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: store)
        try await engine.createTables()
        let tenant = Tenant(endpointId: "models")
        _ = try await SampleData(corporations: 2, places: 3, contacts: 4, requests: 3).load(
            into: engine, tenant: tenant)
        var checked = 0
        for entity in AMESchemaRegistry.registry.entities {
            let table = AMESchemaRegistry.registry.physicalTable(entity.table)
            let page = try await store.query(QueryRequest(table: table, partition: .string(tenant.partitionKey)))
            #expect(!page.items.isEmpty, "\(entity.name) has rows")
            for stored in page.items {
                let model = try entity.decode(stored)
                let encoded = model.item()
                #expect(encoded[tenantAttribute] == nil)
                // What the model holds is what was stored, attribute by attribute.
                for (attribute, value) in encoded {
                    #expect(stored[attribute] == value, "\(entity.name).\(attribute)")
                }
                // Every stored attribute the entity declares (or carries implicitly) comes back.
                for field in entity.fields where field.attribute != tenantAttribute {
                    #expect(
                        (stored[field.attribute] == nil || stored[field.attribute] == .null)
                            == (encoded[field.attribute] == nil),
                        "\(entity.name).\(field.attribute)")
                }
                #expect(encoded["version"] != nil && encoded["updated_by"] != nil)
                // Decoding the encoding gives the same model.
                var again = encoded
                again[tenantAttribute] = stored[tenantAttribute]
                #expect(try entity.decode(again).item() == encoded)
                checked += 1
            }
        }
        #expect(checked == 2 + 3 + 4 + 3)
    }

    @Test func auditFieldsWriteOnlyWhatTheyHold() throws {
        var item: Item = ["place_uuid": "p"]
        AuditFields(updatedBy: "ops", version: 3).write(into: &item)
        #expect(item == ["place_uuid": "p", "updated_by": "ops", "version": .number("3")])
        let full = AuditFields(
            endpointId: "acme", partId: "eu", updatedBy: "ops", createdAt: "2026-01-02T03:04:05Z",
            updatedAt: "2026-01-02T03:04:06Z", version: 7, partitionKey: "acme#eu")
        var written: Item = [tenantAttribute: "acme#eu"]
        full.write(into: &written)
        #expect(try AuditFields(item: written) == full)
        #expect(full.value(0) == "acme" && full.value(1) == "eu" && full.value(2) == "ops")
        #expect(full.value(5) == "acme#eu")
        #expect(AuditFields().value(3) == .null)
        #expect(Optional<Int>.none.json == .null && Optional(4).json == 4)
        #expect(Optional<Double>.none.json == .null && Optional(0.5).json == 0.5)
        #expect(Optional<Bool>.none.json == .null && Optional(true).json == true)
        #expect(Optional<JSONValue>.none.json == .null && Optional<JSONValue>.some(["a": 1]).json == ["a": 1])
    }
}
