import AMERuntime
import Foundation
import Synchronization

/// `ame migrate layout`: copies an entity's items from another table of the same store (its old
/// table, in another layout) into the entity's table as the schema declares it, each with the
/// composed attributes of its global indexes; or, given the entity's own table, gives its items
/// the composed attributes they lack (an index added to an existing table).
///
/// A run reads the source in parallel Scan segments, page by page. For each item it reads the
/// target's item of the same key and writes only when the target lacks it or holds an older
/// revision: a conditional put that fails, and keeps the target's item, when a live service
/// wrote it meanwhile. Each page's checkpoint is recorded in `migration_checkpoints` after its
/// writes, so a killed run resumes at the first page it had not finished; a run after a finished
/// pass starts a new pass that writes only what differs. Nothing is ever deleted.
///
/// An item's revision is its `version` (which every write of the write path increments), then
/// its `updated_at`: a target item of a higher revision than the source's is newer, and kept.
public final class LayoutMigration: Sendable {
    public struct Options: Sendable {
        /// Parallel Scan segments.
        public var segments: Int
        /// Items per Scan page (one checkpoint per page).
        public var pageSize: Int

        public init(segments: Int = 4, pageSize: Int = 100) {
            self.segments = segments
            self.pageSize = pageSize
        }
    }

    /// The name of the scanned table in the checkpoints.
    static let scannedName = "source"

    public let entity: EntityDefinition
    /// The physical table read.
    public let source: String
    /// The entity's table as the schema declares it.
    public let target: TableDefinition
    let engine: GraphQLEngine
    let session: StoreSession
    let options: Options
    let log: @Sendable (String) -> Void
    let checkpoints: MigrationCheckpoints
    /// The attributes the target's global indexes are partitioned by, composed on every item.
    let composedAttributes: Set<String>

    /// Whether the run backfills the entity's own table.
    public var inPlace: Bool { source == target.name }

    /// - Parameters:
    ///   - engine: the running configuration's engine: its store holds both tables.
    ///   - entityName: the entity (`ContactProfile`).
    ///   - source: the physical table to copy from; `nil` (or the entity's table): backfill in place.
    public init(
        engine: GraphQLEngine, entity entityName: String, from source: String?, options: Options = Options(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(MigrationError) {
        let registry = engine.registry
        guard let entity = registry.entity(named: entityName) else {
            let wanted = entityName.lowercased().replacingOccurrences(of: "_", with: "")
            let suggestion = registry.entities.first {
                $0.name.lowercased() == wanted || $0.table == entityName
                    || registry.physicalTable($0.table) == entityName
            }
            throw .unknownEntity(entityName, known: registry.entities.map(\.name), suggestion: suggestion?.name)
        }
        self.entity = entity
        self.engine = engine
        self.options = options
        self.log = log
        target = TableDefinition(
            name: registry.physicalTable(entity.table), sortAttribute: entity.keyAttribute, indexes: entity.indexes)
        self.source = source ?? target.name
        composedAttributes = Set(
            entity.indexes.compactMap(\.partitionAttribute).filter { $0 != tenantAttribute })
        session = StoreSession(store: engine.store, cache: engine.cache, metrics: engine.metrics)
        checkpoints = MigrationCheckpoints(
            session: session, registry: registry, partition: "layout:\(self.source):\(target.name)")
        if inPlace && composedAttributes.isEmpty { throw .nothingToBackfill(entity: entity.name, table: target.name) }
    }

    var store: any Store { engine.store }

    // MARK: Items

    /// The item as the target holds it: the source's item with the composed partition of each
    /// of the target's global indexes, and without those of indexes the target does not have. An
    /// item `ame migrate from-original` wrote, unchanged since, keeps a valid stamp.
    func translated(_ item: Item) -> Item {
        guard case .string(let tenant)? = item[tenantAttribute] else { return item }
        var result = item
        for name in item.keys where name.hasPrefix(tenantAttribute + "#") && !composedAttributes.contains(name) {
            result[name] = nil
        }
        entity.composeIndexPartitions(of: &result, tenant: tenant)
        guard ItemDigest.isUnchangedSinceMigration(item) else { return result }
        result[ItemDigest.attribute] = nil
        return ItemDigest.stamped(result)
    }

    /// `version`, then `updated_at`: the order of an item's writes.
    static func revision(_ item: Item) -> (Int, String) {
        (((try? item.int("version")) ?? nil) ?? 0, item["updated_at"]?.stringValue ?? "")
    }

    /// The key of a source item in the target.
    func key(_ item: Item) throws(MigrationError) -> TableKey {
        for attribute in [tenantAttribute, entity.keyAttribute] where item[attribute]?.stringValue == nil {
            throw .invalidItem(
                table: source, key: "\(target.key(of: item))", attribute: attribute, problem: "is not a string")
        }
        return TableKey(
            table: target.name,
            key: ItemKey(partition: item[tenantAttribute]!.stringValue!, sort: item[entity.keyAttribute]!.stringValue!))
    }

    /// The condition that the target's item is still the one read: a write meanwhile changes
    /// its `version`.
    static func unchanged(_ current: Item) -> WriteCondition {
        .all(
            [.exists]
                + ["version", "updated_at"].compactMap { name in
                    current[name].map { .attributeEquals(name, $0) }
                })
    }

    /// Copies one page of source items: writes those the target lacks or holds older, keeps
    /// those it holds newer.
    func copy(_ items: [Item]) async throws -> WriteOutcome {
        var outcome = WriteOutcome()
        guard !items.isEmpty else { return outcome }
        let keys = try items.map { item throws(MigrationError) in try key(item) }
        let existing = try await session.batchGet(keys)
        for (item, key) in zip(items, keys) {
            let wanted = translated(item)
            let current = existing[key]
            if let current, ItemDigest.of(current) == ItemDigest.of(wanted) {
                outcome.unchanged[target.name, default: 0] += 1
                continue
            }
            if let current, Self.revision(current) > Self.revision(item) {
                outcome.keep("\(key.key.partition) \(key.key.sort)", in: target.name)
                continue
            }
            do {
                try await session.transactWrite([
                    .put(table: target.name, item: wanted, condition: current.map(Self.unchanged) ?? .notExists)
                ])
                outcome.written[target.name, default: 0] += 1
            } catch StoreError.conditionFailed {
                // Written by a live service since it was read: its write stands.
                outcome.keep("\(key.key.partition) \(key.key.sort)", in: target.name)
            }
        }
        return outcome
    }

    // MARK: Tables

    /// Refuses a source that does not exist or whose keys are not the entity's.
    func checkSource() async throws {
        guard let found = try await store.describeTable(named: source) else {
            throw MigrationError.missingTable(source, role: "source")
        }
        let expected = target.expectedDescription
        guard found.partition == expected.partition, found.sort == expected.sort else {
            throw MigrationError.sourceKeysDiffer(table: source, found: found.keys, expected: expected.keys)
        }
    }

    // MARK: Running

    /// Runs (or resumes) a pass; see the type's documentation.
    public func run() async throws -> MigrationReport {
        let clock = ContinuousClock()
        let started = clock.now
        try await checkSource()
        // As `ame tables create`: refuses a target whose keys differ, creates it when missing.
        try await TableCheck.verify([target], in: store)
        try await store.createTable(target)
        try await store.createTable(checkpoints.table)

        let state = try await checkpoints.pass(segments: options.segments)
        var report = MigrationReport(pass: state.number, resumed: state.resumed)
        report.sourceName = source
        report.upToDate = inPlace ? "every item has its composed attributes" : "\(target.name) holds \(source)'s items"
        report.keptReason = "kept: newer in \(target.name)"
        log(
            (state.resumed
                ? "ame migrate: resuming pass \(state.number) from its checkpoints"
                : "ame migrate: pass \(state.number)")
                + (inPlace ? ": backfilling \(target.name) in place" : ": copying \(source) into \(target.name)"))
        let resume = try await checkpoints.resume(Self.scannedName, in: state)
        let counters = Mutex(report)
        let progress = ProgressMeter(table: source, total: nil, already: resume.scanned, log: log)
        try await scanInSegments(
            store, table: source, segments: state.segments, pageSize: options.pageSize, from: resume
        ) { segment, page in
            let outcome = try await self.copy(page.items)
            counters.withLock { $0.add(outcome, scanned: page.items.count, from: self.source) }
            try await self.checkpoints.advance(Self.scannedName, segment: segment, pass: state.number, page: page)
            progress.advance(page.items.count)
            return true
        }
        progress.finish()
        try await checkpoints.finish(state)
        report = counters.withLock { $0 }
        report.itemsRead = report.scanned[source] ?? 0
        report.elapsed = clock.now - started
        return report
    }
}
