import AMEGenerated
import AMELayoutSimulation
import AMERuntime
import Testing

/// What the local and global table layouts do to one large tenant (`ame-bench layouts`), on the
/// project's contact entity with an item as the write path stores it.
@Suite struct LayoutSimulationTests {
    let simulation = LayoutSimulation()
    let limits = LayoutSimulation.Limits()

    /// The contact entity's sample: its table as the schema declares it, a stored contact, its
    /// `data` version and its audit record.
    static func contactSample() throws -> LayoutSimulation.Sample {
        let registry = AMESchemaRegistry.registry
        let tables = registry.tableDefinitions
        let contact = try #require(registry.entity(named: "ContactProfile"))
        let table = try #require(tables.first { $0.name == registry.physicalTable(contact.table) })
        let versions = try #require(tables.first { $0.name == registry.physicalTable(RuntimeTables.attributeValues) })
        let history = try #require(tables.first { $0.name == registry.physicalTable(RuntimeTables.activityHistory) })
        let tenant = Tenant(endpointId: "acme")
        let id = "2f1c7a52-8d0e-4b7a-9c4e-3a6f5e1d2b90"
        let time = "2026-11-26T20:00:00.123456Z"
        var item: Item = [
            tenantAttribute: .string(tenant.partitionKey), "contact_uuid": .string(id),
            "email": "ada.lovelace@example.com", "first_name": "Ada", "last_name": "Lovelace",
            "place_uuid": "6b0e2f4c-1a3d-4e5f-8a7b-9c0d1e2f3a4b", "endpoint_id": "acme", "part_id": "default",
            "updated_by": "import", "updated_at": .string(time), "created_at": .string(time), "version": .number("1"),
        ]
        // As the write path stores it: with its global index's composed partition.
        contact.composeIndexPartitions(of: &item, tenant: tenant.partitionKey)
        let version = RuntimeItems.attributeVersion(
            tenant: tenant, dataType: "contact", id: id, attribute: "source",
            version: "8c3b1f6e-0d2a-4f5b-9e7c-1a2b3c4d5e6f",
            value: "import", status: "active", updatedBy: "import", createdAt: time, updatedAt: time)
        let record = RuntimeItems.history(
            tenant: tenant, id: id, type: "ContactProfile", timestamp: time,
            event: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            log: "insert", diff: ["email": .map(["old": .null, "new": "ada.lovelace@example.com"])], updatedBy: "import"
        )
        return LayoutSimulation.Sample(
            entity: contact.name, table: table, item: item, companions: [(versions, version), (history, record)])
    }

    @Test func theLocalLayoutOfAContactPassesTheItemCollectionCapWhereTheFormulaSays() throws {
        let sample = try Self.contactSample()
        let local = sample.table.indexes.filter { !$0.isGlobal }
        #expect(local.count == 2)
        // Each item takes its own size and each local index entry's, with 100 bytes of overhead
        // apiece (a global index's entries are not in the item collection).
        let entries = local.map {
            CapacityRules.indexEntrySize(sample.item, index: $0, table: sample.table)! + 100
        }
        let perItem = CapacityRules.size(of: sample.item) + 100 + entries.reduce(0, +)
        let formula = 10 * 1_073_741_824 / perItem + 1

        let row = simulation.row(sample, layout: .local, items: 1_000_000)
        #expect(row.itemsAtCap == formula)
        let last = simulation.row(sample, layout: .local, items: formula - 1)
        let first = simulation.row(sample, layout: .local, items: formula)
        #expect(last.withinCap && last.collectionBytes <= limits.itemCollectionBytes)
        #expect(!first.withinCap && first.collectionBytes > limits.itemCollectionBytes)
        // A contact and its two index entries take about 1.2 KB: the cap falls between 1 and 10
        // million contacts.
        #expect(simulation.row(sample, layout: .local, items: 1_000_000).withinCap)
        #expect(!simulation.row(sample, layout: .local, items: 10_000_000).withinCap)
        // However large, the collection stays on one partition: 3,000 read and 1,000 write units
        // (the global `last_name-index` adds its own partitions).
        let global = first.indexes.reduce(0) { $0 + $1.partitions }
        #expect(first.tablePartitions == 1 && first.readUnitsPerSecond == Double(1 + global) * 3_000)
        #expect(first.writeUnitsPerSecond == Double(1 + global) * 1_000)
    }

    @Test func theGlobalLayoutNeverHitsACapAndNoPartitionHoldsMoreThan10GB() throws {
        let sample = try Self.contactSample()
        for items in [1, 1_000_000, 10_000_000, 100_000_000, 10_000_000_000] {
            let row = simulation.row(sample, layout: .global, items: items)
            #expect(row.itemsAtCap == nil && row.withinCap)
            #expect(row.items * (row.itemBytes + 100) <= row.tablePartitions * limits.partitionBytes)
            for index in row.indexes {
                #expect(index.isGlobal)
                #expect(row.items * (index.entryBytes + 100) <= index.partitions * limits.partitionBytes)
            }
        }
    }

    @Test func partitionsAndTheirUnitsGrowWithTheTenant() throws {
        let sample = try Self.contactSample()
        let rows = [1_000_000, 10_000_000, 100_000_000].map { simulation.row(sample, layout: .global, items: $0) }
        // Never fewer partitions for more items, and more of them at 100 million than at 1 million.
        for (smaller, larger) in zip(rows, rows.dropFirst()) + [(rows[0], rows[2])] {
            let strictly = smaller.items == 1_000_000 && larger.items == 100_000_000
            #expect(
                strictly
                    ? larger.tablePartitions > smaller.tablePartitions
                    : larger.tablePartitions >= smaller.tablePartitions)
            for (small, large) in zip(smaller.indexes, larger.indexes) {
                #expect(strictly ? large.partitions > small.partitions : large.partitions >= small.partitions)
            }
            #expect(
                strictly
                    ? larger.readUnitsPerSecond > smaller.readUnitsPerSecond
                    : larger.readUnitsPerSecond >= smaller.readUnitsPerSecond)
            #expect(
                strictly
                    ? larger.writeUnitsPerSecond > smaller.writeUnitsPerSecond
                    : larger.writeUnitsPerSecond >= smaller.writeUnitsPerSecond)
        }
        #expect(rows[0].tablePartitions == 1)
        // 100 million contacts: the table's partitions are its bytes over 10 GB, rounded up, and the
        // tenant's ceiling is 3,000 read and 1,000 write units per partition, of the table and its indexes.
        let largest = rows[2]
        let tableBytes = largest.items * (largest.itemBytes + 100)
        #expect(largest.tablePartitions == (tableBytes + limits.partitionBytes - 1) / limits.partitionBytes)
        let partitions = largest.tablePartitions + largest.indexes.reduce(0) { $0 + $1.partitions }
        #expect(largest.readUnitsPerSecond == Double(partitions) * 3_000)
        #expect(largest.writeUnitsPerSecond == Double(partitions) * 1_000)
    }

    @Test func aGlobalIndexPageCostsHalfALocalIndexPageOfTheSameEntries() throws {
        var sample = try Self.contactSample()
        // The global layout's item carries its composed partition attributes; the same item in
        // the local layout gives local index entries of the same bytes.
        sample.item = LayoutSimulation.item(sample.item, of: sample.table, in: .global)
        let local = simulation.row(sample, layout: .local, items: 1_000_000)
        let global = simulation.row(sample, layout: .global, items: 1_000_000)
        let lsis = local.indexes.filter { !$0.isGlobal }
        #expect(lsis.count == 2)
        for lsi in lsis {
            let gsi = try #require(global.indexes.first { $0.name == lsi.name })
            #expect(lsi.entryBytes == gsi.entryBytes && gsi.isGlobal)
            #expect(gsi.pageReadUnits * 2 == lsi.pageReadUnits)
        }
    }

    @Test func theGlobalLayoutWritesEachIndexsComposedPartitionAndAnUpsertPaysForEveryEntry() throws {
        let sample = try Self.contactSample()
        let stored = LayoutSimulation.item(sample.item, of: sample.table, in: .global)
        // The indexes of the tenant alone are partitioned by `tenant` itself: only the declared
        // global index (the tenant and the last name) has a composed attribute.
        #expect(stored.keys.filter { $0.hasPrefix("tenant#") } == ["tenant#last_name-index"])
        #expect(stored["tenant#last_name-index"] == .string("acme#default#s:Lovelace"))
        #expect(CapacityRules.size(of: stored) == CapacityRules.size(of: sample.item))
        let local = simulation.row(sample, layout: .local, items: 1)
        let global = simulation.row(sample, layout: .global, items: 1)
        // Every put is under 1 KB: 2 units each in a transaction: the item, its 3 index entries
        // (2 local, 1 global), the `data` version and its 1 index entry, the audit record and its
        // 1 entry.
        #expect(local.upsertWriteUnits == 2 * 8)
        #expect(global.upsertWriteUnits == local.upsertWriteUnits)
        // A count reads the tenant's items in requests of at most 1 MB.
        let million = simulation.row(sample, layout: .local, items: 1_000_000)
        let perRequest = 1_048_576 / million.itemBytes
        #expect(million.countRequests == (1_000_000 + perRequest - 1) / perRequest)
        #expect(million.countReadUnits >= Double(1_000_000 * million.itemBytes) / 4096)
    }

    @Test func aPartitionedIndexsLargestKeyHoldsItsMostFrequentValue() {
        let table = TableDefinition(
            name: "t", sortAttribute: "id",
            indexes: [IndexDefinition.global(name: "by-region", partitionField: "region", sortAttribute: "name")])
        let item: Item = [tenantAttribute: "acme#default", "id": "1", "region": "north", "name": "Ada"]
        let sample = LayoutSimulation.Sample(
            entity: "T", table: table, item: item, largestValueShare: ["by-region": 0.25], companions: [])
        let stored = LayoutSimulation.item(item, of: table, in: .global)
        #expect(stored["tenant#by-region"] == .string("acme#default#s:north"))
        let row = simulation.row(sample, layout: .global, items: 1_000_000)
        let entry = row.indexes[0].entryBytes + 100
        #expect(row.indexes[0].largestKeyBytes == 250_000 * entry)
        #expect(row.collectionBytes == 1_000_000 * (row.itemBytes + 100))
    }

    @Test func itemCountsAreReadFromACommaSeparatedListAndAnythingElseIsRefusedWithHowToWriteIt() throws {
        #expect(try LayoutSimulation.itemCounts("1000000, 10000000,100000000") == [1_000_000, 10_000_000, 100_000_000])
        #expect(try LayoutSimulation.itemCounts("1") == [1])
        let hostile = [
            "", "0", "-5", "1e6", "1_000", "12,", ",12", "1,,2", "one", "١٢", "99999999999999999999",
            String(LayoutSimulation.maxItems + 1), Array(repeating: "1", count: 21).joined(separator: ","),
            String(repeating: " ", count: 401) + "1",
        ]
        for text in hostile {
            #expect(throws: LayoutSimulation.ItemCountsError.self, "\(text.prefix(40))") {
                try LayoutSimulation.itemCounts(text)
            }
        }
        do {
            _ = try LayoutSimulation.itemCounts("10,x")
            Issue.record("`x` was accepted")
        } catch {
            #expect(error.description.contains("`x` is not a count from 1 to"))
            #expect(error.description.contains("write e.g. 1000000,10000000"))
        }
    }

    /// The report `ame-bench layouts` prints: one Markdown row per entity and layout for what an
    /// item weighs, one per entity, layout and count for the tenant, with the simulation's figures.
    @Test func theReportsTablesHoldOneRowPerSimulatedRowWithItsFigures() throws {
        let sample = try Self.contactSample()
        let rows = [1_000, 10_000_000].flatMap { items in
            [TableLayout.local, .global].map { simulation.row(sample, layout: $0, items: items) }
        }
        let perItem = LayoutReport.perItem(rows).split(separator: "\n").map(String.init)
        // A header, its rule, and one row per (entity, layout): the counts do not repeat it.
        #expect(perItem.count == 4)
        #expect(perItem[1].hasPrefix("---|"))
        let local = try #require(rows.first { $0.layout == .local })
        let localRow = try #require(perItem.first { $0.hasPrefix("\(local.entity) | \(local.layout) |") })
        #expect(localRow.contains(" | \(LayoutReport.grouped(local.itemBytes)) | "))
        #expect(localRow.contains("\(LayoutReport.grouped(try #require(local.itemsAtCap))) items"))
        #expect(localRow.contains("(LSI)") && localRow.contains("(GSI)"))
        let globalRow = try #require(perItem.first { $0.contains(" | \(TableLayout.global) |") })
        #expect(globalRow.contains("no cap"))
        #expect(!globalRow.contains("(LSI)"))

        let perTenant = LayoutReport.perTenant(rows).split(separator: "\n").map(String.init)
        #expect(perTenant.count == 2 + rows.count)
        let beyond = try #require(rows.first { $0.layout == .local && !$0.withinCap })
        let beyondRow = try #require(
            perTenant.first {
                $0.hasPrefix("\(beyond.entity) | \(beyond.layout) | \(LayoutReport.grouped(beyond.items)) |")
            })
        #expect(beyondRow.contains("**no**"))
        #expect(beyondRow.contains(" GB | "))
        let within = try #require(rows.first { $0.layout == .local && $0.withinCap })
        #expect(perTenant.contains { $0.hasPrefix("\(within.entity) | local | 1,000 |") && $0.contains(" | yes | ") })
        #expect(perTenant.filter { $0.contains(" | global | ") }.allSatisfy { $0.contains(" | no cap | ") })
    }

    @Test func numbersAreGroupedByThousandsAndUnitsByHalves() {
        #expect(LayoutReport.grouped(0) == "0")
        #expect(LayoutReport.grouped(999) == "999")
        #expect(LayoutReport.grouped(1_000) == "1,000")
        #expect(LayoutReport.grouped(1_234_567) == "1,234,567")
        #expect(LayoutReport.grouped(-1_234_567) == "-1,234,567")
    }
}
