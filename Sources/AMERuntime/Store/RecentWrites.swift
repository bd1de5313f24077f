import Foundation
import Logging
import Synchronization

/// Settings of ``RecentWrites`` (`AME_RECENT_WRITES_SECONDS`).
public struct RecentWritesConfiguration: Sendable, Equatable {
    /// How long a write is remembered: longer than a global index takes to list it (DynamoDB
    /// propagates within a second, normally). `.zero` remembers nothing.
    public var window: Duration
    /// The most writes remembered per tenant and table (the oldest are forgotten first).
    public var maxPerTable: Int
    /// The most tenant–table pairs this process's memory keeps (the stalest are dropped first).
    public var maxTables: Int
    /// Where every instance's writes are shared (`AME_REDIS_URL`); `nil` for this process alone.
    public var redis: RedisConfiguration?

    public init(
        window: Duration = .seconds(10), maxPerTable: Int = 1000, maxTables: Int = 10_000,
        redis: RedisConfiguration? = nil
    ) {
        self.window = window
        self.maxPerTable = maxPerTable
        self.maxTables = maxTables
        self.redis = redis
    }
}

/// The writes of the last moments to tables with global indexes, by tenant and table, so that a
/// read through a global index (eventually consistent) also returns what was just written.
///
/// A write records each item's key and the attributes its global indexes are keyed by. A read of
/// a global index asks for the records of its partition, reads those items again by key and
/// places the ones that still match where the index will list them (``GlobalIndexPage``). The
/// records are kept in this process's memory and, with Redis, in a sorted set per tenant and
/// table that every instance reads, so a write acknowledged by one instance is seen by a read on
/// any other. While Redis fails, each instance places its own writes only.
public final class RecentWrites: Sendable {
    public let configuration: RecentWritesConfiguration
    /// The tables with global indexes, by name.
    let tables: [String: TableDefinition]
    let redis: RedisClient?
    /// When Redis is tried again after it failed.
    let outage: RedisOutage
    /// What the keys in Redis begin with: `ame:rw:<schema version>:`.
    let namespace: String
    private let memory = Mutex<[Group: [Record]]>([:])
    /// Wall-clock seconds, shared by the instances that read one another's records.
    let clock: @Sendable () -> Double
    /// The window in seconds.
    private let window: Double

    struct Group: Hashable {
        let table: String
        let tenant: String
    }

    struct Record {
        let time: Double
        let entry: Item
    }

    public init(
        configuration: RecentWritesConfiguration = RecentWritesConfiguration(), tables: [TableDefinition],
        schemaVersion: String = "", clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        logger: Logger = Logger(label: "ame.store")
    ) {
        self.configuration = configuration
        self.tables = Dictionary(
            tables.filter { $0.indexes.contains(where: \.isGlobal) }.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        let isOn = configuration.window > .zero && configuration.maxPerTable > 0 && !self.tables.isEmpty
        redis = isOn ? configuration.redis.map { RedisClient(configuration: $0) } : nil
        outage = RedisOutage(
            retryInterval: .seconds(1), logger: logger,
            consequence: "a read through a global index on one instance may miss a write just made on another",
            recovery: "writes are shared with every instance through Redis again")
        namespace = "ame:rw:\(schemaVersion):"
        self.clock = clock
        let parts = configuration.window.components
        window = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// Closes the connections to Redis.
    public func shutdown() async { await redis?.close() }

    /// Sends commands to Redis, unless it failed within the last moment: their replies, or `nil`.
    private func shared(_ commands: [[[UInt8]]]) async -> [RESPValue]? {
        guard let redis, outage.allowsCall else { return nil }
        do {
            let replies = try await redis.pipeline(commands)
            outage.succeeded()
            return replies
        } catch {
            outage.failed(error)
            return nil
        }
    }

    private var isOn: Bool { window > 0 && configuration.maxPerTable > 0 }

    /// The record of a put: the item's key and its global indexes' keys.
    func entry(of item: Item, in table: TableDefinition) -> Item {
        var entry = table.key(of: item)
        for index in table.indexes where index.isGlobal {
            for (name, value) in table.key(of: item, index: index.name) where value != .null { entry[name] = value }
        }
        return entry
    }

    /// Appends records in place, oldest first, and drops those that lead: the expired and those
    /// past the bound.
    private static func append(
        _ entries: [Item], at now: Double, to records: inout [Record], window: Double, bound: Int
    ) {
        records.append(contentsOf: entries.map { Record(time: now, entry: $0) })
        let expired = records.prefix { now - $0.time >= window }.count
        records.removeFirst(expired + max(0, records.count - expired - bound))
    }

    /// Remembers the puts of a write that may have committed, before it is acknowledged.
    package func record(_ actions: [WriteAction]) async {
        guard isOn, !tables.isEmpty else { return }
        var groups: [Group: [Item]] = [:]
        for case .put(let name, let item, _) in actions {
            guard let table = tables[name], case .string(let tenant)? = item[tenantAttribute] else { continue }
            groups[Group(table: name, tenant: tenant), default: []].append(entry(of: item, in: table))
        }
        guard !groups.isEmpty else { return }
        let now = clock()
        memory.withLock { memory in
            for (group, entries) in groups {
                Self.append(
                    entries, at: now, to: &memory[group, default: []], window: window,
                    bound: configuration.maxPerTable)
            }
            if memory.count > configuration.maxTables {
                memory = memory.filter { now - ($0.value.last?.time ?? 0) < window }
                while memory.count > configuration.maxTables,
                    let stalest = memory.min(by: { ($0.value.last?.time ?? 0) < ($1.value.last?.time ?? 0) })
                {
                    memory[stalest.key] = nil
                }
            }
        }
        guard redis != nil else { return }
        let milliseconds = Int(now * 1000)
        let windowMilliseconds = Int(window * 1000)
        var commands: [[[UInt8]]] = []
        for (group, entries) in groups {
            let key = redisKey(group)
            var add = [Array("ZADD".utf8), key]
            for entry in entries { add += [Array(String(milliseconds).utf8), ItemCodec.encode(entry)] }
            commands.append(add)
            commands.append([
                Array("ZREMRANGEBYSCORE".utf8), key, Array("-inf".utf8),
                Array("(\(milliseconds - windowMilliseconds)".utf8),
            ])
            commands.append([
                Array("ZREMRANGEBYRANK".utf8), key, Array("0".utf8), Array("\(-configuration.maxPerTable - 1)".utf8),
            ])
            commands.append([Array("PEXPIRE".utf8), key, Array(String(windowMilliseconds).utf8)])
        }
        _ = await shared(commands)
    }

    /// The records of `tenant`'s writes to `table` in the window, newest last: this process's,
    /// and every instance's through Redis when it answers.
    package func entries(table: String, tenant: String) async -> [Item] {
        guard isOn, tables[table] != nil else { return [] }
        let group = Group(table: table, tenant: tenant)
        let now = clock()
        var records = memory.withLock { memory in (memory[group] ?? []).filter { now - $0.time < window } }
        if redis != nil {
            let since = Int((now - window) * 1000)
            let replies = await shared([
                [
                    Array("ZRANGEBYSCORE".utf8), redisKey(group), Array("(\(since)".utf8), Array("+inf".utf8),
                    Array("WITHSCORES".utf8),
                ]
            ])
            if case .array(let values?)? = replies?.first {
                var index = 0
                while index + 1 < values.count {
                    defer { index += 2 }
                    guard case .bulk(let bytes?) = values[index], case .bulk(let score?) = values[index + 1],
                        let milliseconds = Double(String(decoding: score, as: UTF8.self)),
                        let entry = try? bytes.withUnsafeBytes({ try ItemCodec.decode($0) })
                    else { continue }
                    records.append(Record(time: milliseconds / 1000, entry: entry))
                }
                records.sort { $0.time < $1.time }
            }
        }
        return records.map(\.entry)
    }

    /// `ame:rw:<schema>:<table>:<tenant length>:<tenant>`.
    func redisKey(_ group: Group) -> [UInt8] {
        Array("\(namespace)\(group.table):\(group.tenant.utf8.count):\(group.tenant)".utf8)
    }
}
