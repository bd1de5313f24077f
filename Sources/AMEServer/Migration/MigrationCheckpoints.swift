import AMERuntime
import Synchronization

/// The progress of one resumable copy in AME's `migration_checkpoints` table, under a partition
/// of its own (`original:<prefix>` for `ame migrate from-original`, `layout:<source>:<target>`
/// for `ame migrate layout`): the pass (its number, its segment count, whether it finished) and,
/// per scanned table and segment, where the segment goes on. A page's checkpoint is written after
/// the page's items, so a run killed at any point resumes at the first page it had not finished.
final class MigrationCheckpoints: Sendable {
    /// A pass: a full read of the source, resumed from its checkpoints while unfinished.
    struct Pass: Sendable {
        var number: Int
        var segments: Int
        var resumed: Bool
    }

    /// Where an unfinished pass resumes one table: each segment's start key (absent: its
    /// beginning), the segments already done, and how many items the pass had scanned.
    struct Resume: Sendable {
        var starts: [Int: Item] = [:]
        var done: Set<Int> = []
        var scanned = 0
    }

    private struct Segment {
        var pass: Int
        var done: Bool
        var lastKey: Item?
        var scanned: Int
    }

    let session: StoreSession
    let table: TableDefinition
    let partition: String
    /// The items this run's pass has scanned, by `<table>/<segment>`: the checkpoints' counts,
    /// kept here so that a page's checkpoint is written without reading the previous one.
    private let scanned = Mutex<[String: Int]>([:])

    /// The checkpoints of `partition` in the registry's `migration_checkpoints`.
    init(session: StoreSession, registry: SchemaRegistry, partition: String) {
        self.session = session
        self.partition = partition
        table = TableDefinition(
            name: registry.physicalTable(OriginalMigration.checkpointTable), sortAttribute: "checkpoint")
    }

    private func key(_ sort: String) -> ItemKey { ItemKey(partition: partition, sort: sort) }

    /// The unfinished pass, or a new one of `segments` segments after the last finished one.
    func pass(segments: Int) async throws -> Pass {
        // A run counts from its pass's checkpoints (``resume(_:in:)``), or from nothing.
        scanned.withLock { $0.removeAll() }
        let stored = try await session.getItem(table: table.name, key: key("pass"))
        let number = (try? stored?.int("number")) ?? nil
        if let stored, let number, stored["finished"] == .bool(false) {
            let segments = ((try? stored.int("segments")) ?? nil) ?? segments
            return Pass(number: number, segments: segments, resumed: true)
        }
        let pass = Pass(number: (number ?? 0) + 1, segments: segments, resumed: false)
        try await save(pass, finished: false)
        return pass
    }

    /// Records that `pass` read everything: the next run starts a new pass.
    func finish(_ pass: Pass) async throws { try await save(pass, finished: true) }

    private func save(_ pass: Pass, finished: Bool) async throws {
        try await session.batchWrite([
            .put(
                table: table.name,
                item: [
                    tenantAttribute: .string(partition), table.sortAttribute: "pass",
                    "number": .number(String(pass.number)), "segments": .number(String(pass.segments)),
                    "finished": .bool(finished), "updated_at": .string(Timestamp.now().iso8601),
                ])
        ])
    }

    private func segment(_ name: String, _ segment: Int) async throws -> Segment? {
        guard let item = try await session.getItem(table: table.name, key: key("\(name)/\(segment)")) else {
            return nil
        }
        var lastKey: Item?
        if case .map(let key)? = item["last_key"] { lastKey = key }
        return Segment(
            pass: ((try? item.int("pass")) ?? nil) ?? 0, done: item["done"] == .bool(true), lastKey: lastKey,
            scanned: ((try? item.int("scanned")) ?? nil) ?? 0)
    }

    /// Where `pass` resumes the scanned table `name` (nothing to resume in a new pass).
    func resume(_ name: String, in pass: Pass) async throws -> Resume {
        var resume = Resume()
        guard pass.resumed else { return resume }
        for index in 0..<pass.segments {
            guard let checkpoint = try await segment(name, index), checkpoint.pass == pass.number else { continue }
            resume.scanned += checkpoint.scanned
            scanned.withLock { $0["\(name)/\(index)"] = checkpoint.scanned }
            if checkpoint.done {
                resume.done.insert(index)
            } else if let key = checkpoint.lastKey {
                resume.starts[index] = key
            }
        }
        return resume
    }

    /// Records that a segment's page is written: where the segment goes on, or that it is done,
    /// and how many items of the segment this pass has scanned.
    func advance(_ name: String, segment index: Int, pass: Int, page: ScanPage) async throws {
        let scanned = scanned.withLock { counts in
            counts["\(name)/\(index)", default: 0] += page.items.count
            return counts["\(name)/\(index)"]!
        }
        var item: Item = [
            tenantAttribute: .string(partition), table.sortAttribute: .string("\(name)/\(index)"),
            "pass": .number(String(pass)), "done": .bool(page.lastEvaluatedKey == nil),
            "scanned": .number(String(scanned)), "updated_at": .string(Timestamp.now().iso8601),
        ]
        if let key = page.lastEvaluatedKey { item["last_key"] = .map(key) }
        try await session.batchWrite([.put(table: table.name, item: item)])
    }
}

/// A parallel Scan of one table: `segments` segments read at once, each page by page from its
/// start key (``MigrationCheckpoints/Resume``), a segment already done skipped. `page` handles a
/// segment's page and returns `false` to stop that segment.
func scanInSegments(
    _ store: any Store, table: String, segments: Int, pageSize: Int,
    from resume: MigrationCheckpoints.Resume = .init(),
    page handle: @escaping @Sendable (Int, ScanPage) async throws -> Bool
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for segment in 0..<segments where !resume.done.contains(segment) {
            group.addTask {
                var start = resume.starts[segment]
                repeat {
                    let page = try await store.scan(
                        ScanRequest(
                            table: table, segment: segment, totalSegments: segments, limit: pageSize,
                            exclusiveStartKey: start))
                    guard try await handle(segment, page) else { return }
                    start = page.lastEvaluatedKey
                } while start != nil
            }
        }
        try await group.waitForAll()
    }
}
