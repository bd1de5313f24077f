import AMERuntime
import Foundation
import Synchronization

/// `ame migrate from-original` and `ame migrate verify`: copies the original service's tables
/// into AME's own tables (never writing to the original's) and compares the two sides.
///
/// A run:
/// 1. checks the original's six tables (keys, and that the credentials can read them);
/// 2. reads every item once to check it fits the original's layout (nothing is written when one
///    does not), to count them (for the ETA), to learn each entity id's tenant (for the audit
///    records) and to collect the active `data` versions;
/// 3. reads every table again in parallel segments, translating each page into AME's items and
///    writing only those whose content digest differs from what AME holds, then records the
///    segment's checkpoint (its last evaluated key) in `migration_checkpoints`;
/// 4. writes each entity's active `data` item built from its active versions.
///
/// Killed at any point, the next run resumes the unfinished pass from the checkpoints. A run
/// after a finished pass starts a new pass: a full re-scan that writes only what changed on the
/// original's side (an incremental pass). An item AME changed after it was migrated is kept.
public final class OriginalMigration: Sendable {
    public struct Options: Sendable {
        /// Parallel Scan segments per table.
        public var segments: Int
        /// Items per Scan page (one checkpoint per page).
        public var pageSize: Int
        /// Where audit records go whose id is no entity's, or the key of entities in several tenants.
        public var unassignedTenant: Tenant

        public init(
            segments: Int = 4, pageSize: Int = 100,
            unassignedTenant: Tenant = Tenant(endpointId: "ame-migration", partId: "unassigned")
        ) {
            self.segments = segments
            self.pageSize = pageSize
            self.unassignedTenant = unassignedTenant
        }
    }

    /// How many invalid items one run reports before it stops reading.
    public static let maxReportedErrors = 20
    /// The AME-side table of checkpoints (under AME's prefix).
    public static let checkpointTable = "migration_checkpoints"

    public let layout: OriginalLayout
    let source: DynamoDBStore
    let target: GraphQLEngine
    let session: StoreSession
    let options: Options
    let log: @Sendable (String) -> Void
    let tables: [String: TableDefinition]
    /// The entities by physical table, for the guards of a row that is rewritten.
    let entitiesByTable: [String: EntityDefinition]
    let checkpoints: MigrationCheckpoints

    /// - Parameters:
    ///   - source: the DynamoDB account holding the original's tables.
    ///   - sourcePrefix: the original's table prefix (`ame-`).
    ///   - target: AME's engine (its registry's prefix and store); writes go through its cache.
    ///   - log: progress lines (the command writes them to stderr).
    public init(
        source: DynamoDBStore, sourcePrefix: String, target: GraphQLEngine, options: Options = Options(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.source = source
        self.target = target
        self.options = options
        self.log = log
        layout = OriginalLayout(prefix: sourcePrefix, registry: target.registry)
        session = StoreSession(store: target.store, cache: target.cache, metrics: target.metrics)
        tables = Dictionary(uniqueKeysWithValues: target.registry.tableDefinitions.map { ($0.name, $0) })
        entitiesByTable = Dictionary(
            uniqueKeysWithValues: target.registry.entities.map { (target.registry.physicalTable($0.table), $0) })
        checkpoints = MigrationCheckpoints(
            session: session, registry: target.registry, partition: "original:\(sourcePrefix)")
    }

    var registry: SchemaRegistry { target.registry }

    // MARK: Reading the original

    /// What the first reading of the original found.
    struct Survey: Sendable {
        var counts: [String: Int] = [:]
        var tenantsByID: [String: Set<Tenant>] = [:]
        var activeVersions: [DataOwner: [OriginalLayout.AttributeVersion]] = [:]
        /// `tenant, entity, field, value` → the owner's key, to find values used twice.
        var guardOwners: [String: String] = [:]
        var errors: [MigrationError] = []
        /// Audit records given to the unassigned tenant.
        var unassigned = 0
        /// For verification: every expected AME item's digest, by table, tenant and sort key.
        var expected: [String: [String: [String: String]]]?

        var isFull: Bool { errors.count >= OriginalMigration.maxReportedErrors }
    }

    struct DataOwner: Hashable, Sendable {
        var tenant: Tenant
        var dataType: String
        var identity: String
    }

    /// The tenant an audit record of `id` belongs to: the one tenant that has an entity with that
    /// key; else (no entity, or entities in several tenants) the unassigned tenant.
    func tenant(forHistoryOf id: String, in survey: Survey) -> Tenant {
        guard let tenants = survey.tenantsByID[id], tenants.count == 1 else { return options.unassignedTenant }
        return tenants.first!
    }

    /// AME's items for one item of the original, each with its physical table.
    func translate(
        _ item: Item, from table: OriginalLayout.Table, survey: Survey
    ) throws(MigrationError) -> [(
        String, Item
    )] {
        switch table.kind {
        case .entity(let entity):
            let row = try layout.entityRow(item, entity: entity, table: table)
            let guards = registry.physicalTable(RuntimeTables.uniqueValues)
            return [(registry.physicalTable(entity.table), row.item)] + row.guards.map { (guards, $0) }
        case .attributeValues:
            let version = try layout.attributeVersion(item, table: table)
            return [(registry.physicalTable(RuntimeTables.attributeValues), version.item)]
        case .activityHistory:
            let record = try layout.historyRecord(item, table: table) { tenant(forHistoryOf: $0, in: survey) }
            return [(registry.physicalTable(RuntimeTables.activityHistory), record)]
        }
    }

    /// The active `data` item of every entity that has active versions.
    func activeDataItems(_ survey: Survey) -> [(String, Item)] {
        let table = registry.physicalTable(RuntimeTables.attributeValues)
        return survey.activeVersions.keys.sorted {
            ($0.tenant.partitionKey, $0.dataType, $0.identity) < ($1.tenant.partitionKey, $1.dataType, $1.identity)
        }.map { owner in
            (
                table,
                OriginalLayout.activeData(
                    tenant: owner.tenant, dataType: owner.dataType, identity: owner.identity,
                    versions: survey.activeVersions[owner]!)
            )
        }
    }

    /// Reads every table once: checks, counts, tenants, active versions (and, for verification,
    /// the digest of every expected item).
    func survey(collectDigests: Bool) async throws -> Survey {
        let state = Mutex(Survey())
        if collectDigests { state.withLock { $0.expected = [:] } }
        for table in layout.tables {
            let snapshot = state.withLock { $0 }
            guard !snapshot.isFull else { break }
            try await scan(table, segments: options.segments) { _, page in
                state.withLock { survey in
                    for item in page.items {
                        guard !survey.isFull else { return }
                        survey.counts[table.logicalName, default: 0] += 1
                        do throws(MigrationError) {
                            try self.record(item, from: table, into: &survey, snapshot: snapshot)
                        } catch {
                            survey.errors.append(error)
                        }
                    }
                }
                return !state.withLock { $0.isFull }
            }
            let count = state.withLock { $0.counts[table.logicalName] ?? 0 }
            log("ame migrate: read \(table.name): \(count) items")
        }
        var survey = state.withLock { $0 }
        if collectDigests {
            for (table, item) in activeDataItems(survey) { Self.expect(item, in: table, tables: tables, &survey) }
        }
        return survey
    }

    private func record(
        _ item: Item, from table: OriginalLayout.Table, into survey: inout Survey, snapshot: Survey
    ) throws(MigrationError) {
        // Audit records are translated with the tenants of the entities read before them.
        let translated = try translate(item, from: table, survey: snapshot)
        switch table.kind {
        case .entity(let entity):
            let row = try layout.entityRow(item, entity: entity, table: table)
            survey.tenantsByID[row.key, default: []].insert(row.tenant)
            for field in entity.fields where field.unique {
                guard let text = row.item[field.attribute].flatMap(RuntimeItems.uniqueGuardText) else { continue }
                let claim = [row.tenant.partitionKey, entity.name, field.attribute, text].joined(separator: "\u{0}")
                if let owner = survey.guardOwners[claim], owner != row.key {
                    throw .duplicateUniqueValue(
                        table: table.name, field: field.attribute, value: text, keys: [owner, row.key].sorted(),
                        tenant: row.tenant.partitionKey)
                }
                survey.guardOwners[claim] = row.key
            }
        case .attributeValues:
            let version = try layout.attributeVersion(item, table: table)
            if version.active {
                let owner = DataOwner(tenant: version.tenant, dataType: version.dataType, identity: version.identity)
                survey.activeVersions[owner, default: []].append(version)
            }
        case .activityHistory:
            if case .string(let id)? = item["id"], tenant(forHistoryOf: id, in: snapshot) == options.unassignedTenant {
                survey.unassigned += 1
            }
        }
        if survey.expected != nil {
            for (name, item) in translated { Self.expect(item, in: name, tables: tables, &survey) }
        }
    }

    private static func expect(
        _ item: Item, in table: String, tables: [String: TableDefinition], _ survey: inout Survey
    ) {
        guard let definition = tables[table], case .string(let partition)? = item[tenantAttribute],
            case .string(let sort)? = item[definition.sortAttribute]
        else { return }
        survey.expected?[table, default: [:]][partition, default: [:]][sort] = ItemDigest.of(ItemDigest.stamped(item))
    }

    /// Scans one of the original's tables in parallel segments (see ``scanInSegments``).
    func scan(
        _ table: OriginalLayout.Table, segments: Int, from resume: MigrationCheckpoints.Resume = .init(),
        page handle: @escaping @Sendable (Int, ScanPage) async throws -> Bool
    ) async throws {
        try await scanInSegments(
            source, table: table.name, segments: segments, pageSize: options.pageSize, from: resume, page: handle)
    }

    // MARK: Running

    /// Runs (or resumes) a pass; see the type's documentation.
    public func run() async throws -> MigrationReport {
        let clock = ContinuousClock()
        let started = clock.now
        guard registry.tablePrefix != layout.prefix else { throw MigrationError.samePrefix(layout.prefix) }
        log("ame migrate: checking the original's tables \(layout.prefix)* at \(source.endpoint)")
        try await layout.check(source)
        try await target.createTables()
        try await target.store.createTable(checkpoints.table)

        log("ame migrate: reading the original once to check every item")
        let survey = try await survey(collectDigests: false)
        guard survey.errors.isEmpty else { throw MigrationError.invalidItems(survey.errors) }

        let state = try await checkpoints.pass(segments: options.segments)
        var report = MigrationReport(pass: state.number, resumed: state.resumed)
        log(
            state.resumed
                ? "ame migrate: resuming pass \(state.number) from its checkpoints"
                : "ame migrate: pass \(state.number)\(state.number > 1 ? " (incremental: a full re-scan that writes only what changed)" : "")"
        )
        let counters = Mutex(report)
        for table in layout.tables {
            let resume = try await checkpoints.resume(table.logicalName, in: state)
            let progress = ProgressMeter(
                table: table.name, total: survey.counts[table.logicalName] ?? 0, already: resume.scanned, log: log)
            try await scan(table, segments: state.segments, from: resume) { segment, page in
                var items: [(String, Item)] = []
                for item in page.items {
                    do throws(MigrationError) {
                        items += try self.translate(item, from: table, survey: survey)
                    } catch {
                        // Changed on the original's side since it was checked: the run stops before
                        // this page; the next run resumes here once the item is fixed.
                        throw error
                    }
                }
                let outcome = try await self.apply(items)
                counters.withLock { $0.add(outcome, scanned: page.items.count, from: table.logicalName) }
                try await self.checkpoints.advance(table.logicalName, segment: segment, pass: state.number, page: page)
                progress.advance(page.items.count)
                return true
            }
            progress.finish()
        }
        let activeData = activeDataItems(survey)
        for start in stride(from: 0, to: activeData.count, by: StoreLimits.batchGetKeys) {
            let outcome = try await apply(
                Array(activeData[start..<min(start + StoreLimits.batchGetKeys, activeData.count)]))
            counters.withLock { $0.add(outcome, scanned: 0, from: nil) }
        }
        log("ame migrate: active data of \(activeData.count) entities checked")
        try await checkpoints.finish(state)
        report = counters.withLock { $0 }
        report.unassignedHistory = survey.unassigned
        report.elapsed = clock.now - started
        report.itemsRead = survey.counts.values.reduce(0, +)
        return report
    }

    /// Writes the items whose content differs from AME's; keeps those AME changed since.
    func apply(_ items: [(String, Item)]) async throws -> WriteOutcome {
        var outcome = WriteOutcome()
        guard !items.isEmpty else { return outcome }
        var keys: [TableKey] = []
        for (table, item) in items {
            guard let definition = tables[table], case .string(let partition)? = item[tenantAttribute],
                case .string(let sort)? = item[definition.sortAttribute]
            else { throw StoreError.invalidRequest("a migrated item of \(table) lacks its key") }
            keys.append(TableKey(table: table, key: ItemKey(partition: partition, sort: sort)))
        }
        let existing = try await session.batchGet(keys)
        var writes: [BatchWriteRequest] = []
        for ((table, item), key) in zip(items, keys) {
            let stamped = ItemDigest.stamped(item)
            guard let current = existing[key] else {
                writes.append(.put(table: table, item: stamped))
                outcome.written[table, default: 0] += 1
                continue
            }
            if ItemDigest.of(current) == ItemDigest.of(stamped) {
                outcome.unchanged[table, default: 0] += 1
            } else if ItemDigest.isUnchangedSinceMigration(current) {
                writes.append(.put(table: table, item: stamped))
                outcome.written[table, default: 0] += 1
                writes += releasedGuards(of: current, replacedBy: item, in: table, outcome: &outcome)
            } else {
                outcome.keep("\(key.key.partition) \(key.key.sort)", in: table)
            }
        }
        try await session.batchWrite(writes)
        return outcome
    }

    /// The guards of the `unique` values a rewritten row no longer has (its new ones are among
    /// the translated items).
    private func releasedGuards(
        of current: Item, replacedBy item: Item, in table: String, outcome: inout WriteOutcome
    )
        -> [BatchWriteRequest]
    {
        guard let entity = entitiesByTable[table], case .string(let partition)? = item[tenantAttribute] else {
            return []
        }
        let guards = registry.physicalTable(RuntimeTables.uniqueValues)
        var requests: [BatchWriteRequest] = []
        for field in entity.fields where field.unique {
            guard let old = current[field.attribute].flatMap(RuntimeItems.uniqueGuardText),
                old != item[field.attribute].flatMap(RuntimeItems.uniqueGuardText)
            else { continue }
            let key = RuntimeTables.uniqueValueKeyFor(entity: entity.name, field: field.attribute, value: old)
            requests.append(.delete(table: guards, key: ItemKey(partition: partition, sort: key)))
            outcome.written[guards, default: 0] += 1
        }
        return requests
    }
}

/// What one batch of translated items did to AME's tables, by physical table.
struct WriteOutcome: Sendable {
    var written: [String: Int] = [:]
    var unchanged: [String: Int] = [:]
    /// Items AME changed after they were migrated: kept as AME has them.
    var kept: [String: Int] = [:]
    var keptKeys: [String] = []

    /// Counts an item kept as the target holds it, naming the first ones.
    mutating func keep(_ key: String, in table: String) {
        kept[table, default: 0] += 1
        if keptKeys.count < 10 { keptKeys.append("\(table) \(key)") }
    }
}

/// What a run of `ame migrate from-original` did.
public struct MigrationReport: Sendable {
    public var pass: Int
    public var resumed: Bool
    /// Items scanned in the copy phase, by the original's logical table name.
    public var scanned: [String: Int] = [:]
    /// AME items written, unchanged and kept (changed in AME since migrated), by physical table.
    public var written: [String: Int] = [:]
    public var unchanged: [String: Int] = [:]
    public var kept: [String: Int] = [:]
    public var keptKeys: [String] = []
    public var unassignedHistory = 0
    /// Items of the original read by the check (the copy reads them again).
    public var itemsRead = 0
    public var elapsed: Duration = .zero
    /// What the closing lines call the two sides and the items kept.
    public var sourceName = "the original"
    public var upToDate = "AME already holds the original's data"
    public var keptReason = "kept as AME changed them"

    public var totalWritten: Int { written.values.reduce(0, +) }
    public var totalUnchanged: Int { unchanged.values.reduce(0, +) }
    public var totalKept: Int { kept.values.reduce(0, +) }

    mutating func add(_ outcome: WriteOutcome, scanned count: Int, from table: String?) {
        if let table { scanned[table, default: 0] += count }
        written.merge(outcome.written, uniquingKeysWith: +)
        unchanged.merge(outcome.unchanged, uniquingKeysWith: +)
        kept.merge(outcome.kept, uniquingKeysWith: +)
        keptKeys += outcome.keptKeys.prefix(max(0, 10 - keptKeys.count))
    }

    /// The closing lines of the command.
    public var lines: [String] {
        var lines: [String] = []
        let tables = Set(written.keys).union(unchanged.keys).union(kept.keys).sorted()
        for table in tables {
            lines.append(
                "  \(table): \(written[table] ?? 0) written, \(unchanged[table] ?? 0) unchanged"
                    + ((kept[table] ?? 0) > 0 ? ", \(kept[table]!) \(keptReason)" : ""))
        }
        if totalKept > 0 { lines.append("  kept (first ones): " + keptKeys.joined(separator: "; ")) }
        if unassignedHistory > 0 {
            lines.append(
                "  \(unassignedHistory) audit records belong to no single tenant's entity: they are in the unassigned tenant"
            )
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int((Double(itemsRead) / seconds).rounded()) : 0
        lines.append(
            totalWritten == 0
                ? "ame migrate: pass \(pass) finished: nothing to write, \(upToDate) (\(totalUnchanged) items unchanged)"
                : "ame migrate: pass \(pass) finished\(resumed ? " (resumed)" : ""): \(totalWritten) items written, \(totalUnchanged) unchanged"
        )
        lines.append(
            "ame migrate: \(itemsRead) items of \(sourceName) in \(String(format: "%.1f", seconds)) s (\(rate) items/s)"
        )
        return lines
    }
}

/// Progress of one table on stderr: items, rate, ETA; at most one line a second.
final class ProgressMeter: Sendable {
    private struct State {
        var processed: Int
        var lastLine: ContinuousClock.Instant
    }

    let table: String
    /// The items to process; `nil` when unknown (no percentage, no ETA).
    let total: Int?
    let started = ContinuousClock.now
    let startedAt: Int
    private let state: Mutex<State>
    let log: @Sendable (String) -> Void

    init(table: String, total: Int?, already: Int, log: @escaping @Sendable (String) -> Void) {
        self.table = table
        self.total = total
        self.log = log
        startedAt = already
        state = Mutex(State(processed: already, lastLine: .now))
    }

    func advance(_ count: Int) {
        let line: String? = state.withLock { state in
            state.processed += count
            let now = ContinuousClock.now
            guard now - state.lastLine >= .seconds(1) else { return nil }
            state.lastLine = now
            return self.line(state.processed, now: now)
        }
        if let line { log(line) }
    }

    private func line(_ processed: Int, now: ContinuousClock.Instant) -> String {
        let elapsed = now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(processed - startedAt) / seconds : 0
        guard let total else { return "ame migrate: \(table) \(processed) items, \(Int(rate.rounded())) items/s" }
        let remaining = max(0, total - processed)
        let eta = rate > 0 ? "\(Int((Double(remaining) / rate).rounded(.up))) s" : "unknown"
        let percent = total > 0 ? min(100, processed * 100 / total) : 100
        return
            "ame migrate: \(table) \(processed)/\(total) items (\(percent)%), \(Int(rate.rounded())) items/s, ETA \(eta)"
    }

    func finish() {
        let processed = state.withLock { $0.processed }
        log(line(processed, now: .now) + ", done")
    }
}
