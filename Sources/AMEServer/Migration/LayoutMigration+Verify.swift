import AMERuntime
import Synchronization

extension LayoutMigration {
    /// Compares the source with the target item by item, writing nothing: every source item
    /// must be in the target as the copy writes it (the digest of its content, composed
    /// attributes included), unless the target's is newer (written since the switch: counted, not
    /// a difference); every target item the source lacks must have its composed attributes.
    public func verify() async throws -> VerificationReport {
        try await checkSource()
        guard try await store.describeTable(named: target.name) != nil else {
            throw MigrationError.missingTable(target.name, role: "target")
        }
        let report = Mutex(VerificationReport())
        let counts = Mutex((source: 0, found: 0, newer: 0, onlyInTarget: 0))
        // The source's keys, to find the target's items it lacks (the source is not a table of
        // the schema, so the store cannot be asked for its items by key).
        let sourceKeys = Mutex(Set<ItemKey>())
        log("ame migrate verify: reading \(source)" + (inPlace ? "" : " and \(target.name)"))
        try await scanInSegments(store, table: source, segments: options.segments, pageSize: options.pageSize) {
            _, page in
            let keys = try page.items.map { item throws(MigrationError) in try self.key(item) }
            let existing = try await self.session.batchGet(keys)
            var newer = 0
            var found = 0
            var differences: [String] = []
            if !self.inPlace { sourceKeys.withLock { $0.formUnion(keys.map(\.key)) } }
            for (item, key) in zip(page.items, keys) {
                let name = "\(self.target.name) \(key.key.partition) \(key.key.sort)"
                guard let current = existing[key] else {
                    differences.append("\(name): in \(self.source), missing in \(self.target.name)")
                    continue
                }
                found += 1
                // In place, the item as read again: a write since the Scan composed its attributes.
                let wanted = self.translated(self.inPlace ? current : item)
                if ItemDigest.of(current) == ItemDigest.of(wanted) { continue }
                if !self.inPlace, Self.revision(current) > Self.revision(item) {
                    newer += 1
                    differences += self.composedDifferences(current, name: name)
                    continue
                }
                let attributes = Self.differingAttributes(current, wanted)
                differences.append(
                    "\(name): differs from \(self.inPlace ? "what the schema's indexes compose" : self.source) in "
                        + attributes.joined(separator: ", "))
            }
            counts.withLock {
                $0.source += page.items.count
                $0.found += found
                $0.newer += newer
            }
            report.withLock { report in differences.forEach { report.difference($0) } }
            return true
        }
        if !inPlace {
            try await scanInSegments(
                store, table: target.name, segments: options.segments, pageSize: options.pageSize
            ) { _, page in
                let keys = try page.items.map { item throws(MigrationError) in try self.key(item) }
                let known = sourceKeys.withLock { known in keys.map { known.contains($0.key) } }
                var only = 0
                var differences: [String] = []
                for ((item, key), inSource) in zip(zip(page.items, keys), known) where !inSource {
                    only += 1
                    differences += self.composedDifferences(
                        item, name: "\(self.target.name) \(key.key.partition) \(key.key.sort) (not in \(self.source))")
                }
                counts.withLock { $0.onlyInTarget += only }
                report.withLock { report in differences.forEach { report.difference($0) } }
                return true
            }
        }
        var result = report.withLock { $0 }
        let (sourceCount, found, newer, onlyInTarget) = counts.withLock {
            ($0.source, $0.found, $0.newer, $0.onlyInTarget)
        }
        result.expectedItems = sourceCount
        result.foundItems = found + onlyInTarget
        result.lines.append("\(source): \(sourceCount) items, \(found) of them in \(target.name)")
        if !inPlace {
            result.lines.append(
                "\(target.name): \(newer) items newer than in \(source) (written since), \(onlyInTarget) items \(source) does not have"
            )
        }
        return result
    }

    /// The composed attributes of `item` that are not what its tenant and fields make them.
    func composedDifferences(_ item: Item, name: String) -> [String] {
        var composed = item
        if case .string(let tenant)? = item[tenantAttribute] {
            entity.composeIndexPartitions(of: &composed, tenant: tenant)
        }
        let wrong = Self.differingAttributes(item, composed)
        guard !wrong.isEmpty else { return [] }
        return ["\(name): composed index attributes missing or wrong: " + wrong.joined(separator: ", ")]
    }

    /// The attributes whose values differ between two items (a missing attribute included).
    static func differingAttributes(_ a: Item, _ b: Item) -> [String] {
        Set(a.keys).union(b.keys).filter { name in
            ItemDigest.of([name: a[name] ?? .null]) != ItemDigest.of([name: b[name] ?? .null])
        }.sorted()
    }
}
