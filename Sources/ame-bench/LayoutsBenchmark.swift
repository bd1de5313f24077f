import AMEGenerated
import AMELayoutSimulation
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// Simulates what the local and global table layouts do to one large tenant of each entity
/// (``LayoutSimulation``), from item sizes measured on the sample data: no timings, the same
/// output on every run.
struct LayoutsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layouts",
        abstract: "Simulate the local and global table layouts for one large tenant of each entity.")

    @Option(help: "The tenant's item counts, comma-separated.")
    var items = "1000000,10000000,100000000"

    func validate() throws { _ = try counts() }

    func counts() throws -> [Int] {
        do {
            return try LayoutSimulation.itemCounts(items)
        } catch {
            throw ValidationError("--items: \(error)")
        }
    }

    func run() async throws {
        let counts = try counts()
        let (folder, store, _, _) = try await ExecutorBenchmark.seededStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tenant = Tenant(endpointId: "bench")
        let samples = try await Self.samples(registry: AMESchemaRegistry.registry, store: store, tenant: tenant)
        let simulation = LayoutSimulation()
        let rows = simulation.rows(samples, items: counts)
        let runtimeSamples = try await Self.runtimeSamples(
            registry: AMESchemaRegistry.registry, store: store, tenant: tenant)
        // The runtime's tables follow the project's `layout` (an entity's does not move them).
        let runtimeRows = simulation.rows(runtimeSamples, items: counts)
        print(
            "layouts: one tenant of \(counts.map { LayoutReport.grouped($0) }.joined(separator: " / ")) items of each entity;"
                + " each entity's median stored item of the sample data (seeded 10/50/100/100), weighed by DynamoDB's rules;"
                + " read units (RCU) per request, write units (WCU) per transaction")
        print()
        print(LayoutReport.perItem(rows))
        print(LayoutReport.perTenant(rows))
        print(
            "the runtime's own records (global in a project of `layout: global`, else local; \"upsert\" is the write of one record):"
        )
        print()
        print(LayoutReport.perItem(runtimeRows))
        print(LayoutReport.perTenant(runtimeRows), terminator: "")
    }

    /// The runtime's own tables, which every entity's writes add to: a `data` version (median of
    /// the sample data's) and an audit record (median).
    static func runtimeSamples(
        registry: SchemaRegistry, store: any Store, tenant: Tenant
    ) async throws
        -> [LayoutSimulation.Sample]
    {
        let partition = ItemValue.string(tenant.partitionKey)
        var samples: [LayoutSimulation.Sample] = []
        let records: [(String, String, SortKeyCondition?)] = [
            ("data version", RuntimeTables.attributeValues, .beginsWith(RuntimeTables.versionKeyPrefix(dataType: nil))),
            ("audit record", RuntimeTables.activityHistory, nil),
        ]
        for (name, logical, condition) in records {
            guard let table = registry.tableDefinitions.first(where: { $0.name == registry.physicalTable(logical) })
            else { throw ValidationError("the schema has no table `\(logical)`") }
            let request = QueryRequest(table: table.name, partition: partition, sortCondition: condition)
            guard let item = median(try await allItems(store, request)) else {
                throw ValidationError("the sample data holds no \(name): nothing to weigh")
            }
            samples.append(
                LayoutSimulation.Sample(entity: "\(name) (\(logical))", table: table, item: item, companions: []))
        }
        return samples
    }

    /// Each entity's sample: its table, its median stored item, the `data` version and audit
    /// record an upsert of it writes (median of theirs), and for an index with a `partition:`
    /// field the share of the most frequent value.
    static func samples(
        registry: SchemaRegistry, store: any Store, tenant: Tenant
    ) async throws
        -> [LayoutSimulation.Sample]
    {
        let tables = Dictionary(registry.tableDefinitions.map { ($0.name, $0) }) { first, _ in first }
        func table(_ logical: String) throws -> TableDefinition {
            guard let table = tables[registry.physicalTable(logical)] else {
                throw ValidationError("the schema has no table `\(logical)`")
            }
            return table
        }
        let partition = ItemValue.string(tenant.partitionKey)
        let versions = try table(RuntimeTables.attributeValues)
        let history = try table(RuntimeTables.activityHistory)
        let audit = try await allItems(store, QueryRequest(table: history.name, partition: partition))
        var samples: [LayoutSimulation.Sample] = []
        for entity in registry.entities {
            let entityTable = try table(entity.table)
            let items = try await allItems(store, QueryRequest(table: entityTable.name, partition: partition))
            guard let item = median(items) else {
                throw ValidationError("the sample data holds no `\(entity.name)`: nothing to weigh")
            }
            var companions: [(table: TableDefinition, item: Item)] = []
            if let dataType = entity.dataType {
                let prefix = RuntimeTables.versionKeyPrefix(dataType: dataType)
                let request = QueryRequest(
                    table: versions.name, partition: partition, sortCondition: .beginsWith(prefix))
                guard let version = median(try await allItems(store, request)) else {
                    throw ValidationError("the sample data holds no `data` version of `\(entity.name)`")
                }
                companions.append((versions, version))
            }
            guard let record = median(audit.filter { $0["type"]?.stringValue == entity.name }) else {
                throw ValidationError("the sample data holds no audit record of `\(entity.name)`")
            }
            companions.append((history, record))
            var shares: [String: Double] = [:]
            for index in entityTable.indexes {
                guard let field = index.partitionField else { continue }
                var counts: [ItemValue: Int] = [:]
                for item in items { if let value = item[field] { counts[value, default: 0] += 1 } }
                shares[index.name] = Double(counts.values.max() ?? items.count) / Double(items.count)
            }
            samples.append(
                LayoutSimulation.Sample(
                    entity: entity.name, table: entityTable, item: item, largestValueShare: shares,
                    companions: companions))
        }
        return samples
    }

    /// Every item of a Query, page by page.
    static func allItems(_ store: any Store, _ request: QueryRequest) async throws -> [Item] {
        var request = request
        var items: [Item] = []
        repeat {
            let page = try await store.query(request)
            items += page.items
            request.exclusiveStartKey = page.lastEvaluatedKey
        } while request.exclusiveStartKey != nil
        return items
    }

    /// The item of median size (ties in the order of the store's keys, which is deterministic).
    static func median(_ items: [Item]) -> Item? {
        guard !items.isEmpty else { return nil }
        let sorted = items.enumerated().sorted {
            let (left, right) = (CapacityRules.size(of: $0.element), CapacityRules.size(of: $1.element))
            return left != right ? left < right : $0.offset < $1.offset
        }
        return sorted[sorted.count / 2].element
    }
}
