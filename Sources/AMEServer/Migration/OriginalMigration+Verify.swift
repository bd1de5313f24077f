import AMERuntime

extension OriginalMigration {
    /// Compares the two sides per AME table and tenant: the items the original's data implies
    /// (translated exactly as the migration does) with the items AME holds, by count and by the
    /// digest of every item's content. Reads both sides; writes nothing.
    public func verify() async throws -> VerificationReport {
        guard registry.tablePrefix != layout.prefix else { throw MigrationError.samePrefix(layout.prefix) }
        try await layout.check(source)
        log("ame migrate verify: reading the original")
        let survey = try await survey(collectDigests: true)
        guard survey.errors.isEmpty else { throw MigrationError.invalidItems(survey.errors) }
        let expected = survey.expected ?? [:]
        var tenants = Set<String>()
        for byTenant in expected.values { tenants.formUnion(byTenant.keys) }
        var report = VerificationReport()
        let existing = Set(try await target.store.listTables())
        log("ame migrate verify: reading AME's tables \(registry.tablePrefix)* for \(tenants.count) tenants")
        for table in registry.tableDefinitions {
            for tenant in tenants.sorted() {
                var wanted = expected[table.name]?[tenant] ?? [:]
                var found = 0
                if existing.contains(table.name) {
                    var request = QueryRequest(table: table.name, partition: .string(tenant))
                    repeat {
                        let page = try await session.query(request)
                        for item in page.items {
                            found += 1
                            let sort = item[table.sortAttribute]?.stringValue ?? "?"
                            switch wanted.removeValue(forKey: sort) {
                            case nil:
                                report.difference("\(table.name) \(tenant) \(sort): in AME, not in the original")
                            case let digest? where digest != ItemDigest.of(item):
                                report.difference("\(table.name) \(tenant) \(sort): differs from the original")
                            default:
                                break
                            }
                        }
                        request.exclusiveStartKey = page.lastEvaluatedKey
                    } while request.exclusiveStartKey != nil
                }
                for sort in wanted.keys.sorted() {
                    report.difference("\(table.name) \(tenant) \(sort): in the original, missing in AME")
                }
                let count = expected[table.name]?[tenant]?.count ?? 0
                guard count > 0 || found > 0 else { continue }
                report.lines.append(
                    "\(table.name) \(tenant): original \(count), AME \(found)\(count == found && wanted.isEmpty ? "" : " (differs)")"
                )
                report.expectedItems += count
                report.foundItems += found
            }
        }
        return report
    }
}

/// What `ame migrate verify` found.
public struct VerificationReport: Sendable {
    /// One line per AME table and tenant: the two counts.
    public var lines: [String] = []
    /// The first differences, each naming the table, tenant and key.
    public var differences: [String] = []
    public var differenceCount = 0
    public var expectedItems = 0
    public var foundItems = 0

    /// How many differences are named.
    public static let namedDifferences = 20

    public var isEqual: Bool { differenceCount == 0 }

    mutating func difference(_ text: String) {
        differenceCount += 1
        if differences.count < Self.namedDifferences { differences.append(text) }
    }
}
