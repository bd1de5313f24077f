import Logging
import Metrics
import NIOCore
import Synchronization

/// Settings of the entity cache (`AME_CACHE_ENABLED`, `AME_CACHE_MEMORY_MAX`, `AME_CACHE_TTL`,
/// `AME_REDIS_URL`).
public struct CacheConfiguration: Sendable {
    /// Entries kept in each process's memory layer.
    public var memoryMaxEntries: Int
    /// How long an entry lives in either layer.
    public var ttl: Duration
    /// The shared layer; `nil` for memory only (one process).
    public var redis: RedisConfiguration?
    /// How long an invalidated key refuses to be cached again in Redis: longer than any store
    /// read takes, so a read that began before a write cannot put the old value back.
    public var tombstoneTTL: Duration
    /// Consecutive Redis failures that open the circuit, and how long it stays open.
    public var breakerThreshold: Int
    public var breakerCooldown: Duration

    public init(
        memoryMaxEntries: Int = 1000, ttl: Duration = .seconds(300), redis: RedisConfiguration? = nil,
        tombstoneTTL: Duration = .seconds(15), breakerThreshold: Int = 3, breakerCooldown: Duration = .seconds(1)
    ) {
        self.memoryMaxEntries = memoryMaxEntries
        self.ttl = ttl
        self.redis = redis
        self.tombstoneTTL = tombstoneTTL
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
    }
}

/// A read-through cache of stored items (entities and their active `data`) in two layers: each
/// process's memory, then Redis shared by every process. Lists are never cached.
///
/// Never stale: every committed write invalidates the keys it changed, in this process's memory
/// and in Redis (a short-lived tombstone that a fill cannot overwrite), and tells the other
/// processes through Redis pub/sub. A process uses its memory layer only while its subscription
/// is up; when Redis cannot be reached it reads the store (the circuit breaker bounds the added
/// delay), and a process that could not invalidate moves every process to a new key space (the
/// epoch) before it uses Redis again.
public final class HybridCache: Sendable {
    public let configuration: CacheConfiguration
    let schemaVersion: String
    /// The tables whose items are cached, with their sort attributes (to key written items).
    let sortAttributes: [String: String]
    /// The table whose `A#…` items (active `data`) are cached.
    let attributeTable: String
    let redis: RedisClient?
    /// Where its hits, misses, evictions, Redis errors and circuit go.
    public let metrics: RuntimeMetrics
    private let state: Mutex<State>
    private let counters = Mutex(Statistics())
    private let subscriber = Mutex<Task<Void, Never>?>(nil)
    /// The connection of the pub/sub subscription, while it is up.
    private let subscription = Mutex<(any Channel)?>(nil)

    /// Hits and misses per layer, evictions and Redis errors since the start.
    public struct Statistics: Sendable, Equatable {
        public var memoryHits = 0
        public var memoryMisses = 0
        public var redisHits = 0
        public var redisMisses = 0
        public var evictions = 0
        public var redisErrors = 0
        public var invalidationsReceived = 0

        public init() {}
    }

    private struct State {
        var memory: MemoryLRU<TableKey, Item?>
        /// When keys were last invalidated: a read that began earlier must not fill them.
        var invalidatedAt: [TableKey: ContinuousClock.Instant] = [:]
        /// Redis pub/sub is up (or there is no Redis): the memory layer may be used.
        var subscribed: Bool
        /// The current key space in Redis; `nil` until known.
        var epoch: String?
        /// An invalidation did not reach Redis: bump the epoch before using Redis again.
        var mustBumpEpoch = false
        var consecutiveFailures = 0
        var openUntil: ContinuousClock.Instant?
    }

    public init(configuration: CacheConfiguration, registry: SchemaRegistry, metrics: RuntimeMetrics = RuntimeMetrics())
    {
        self.configuration = configuration
        self.metrics = metrics
        schemaVersion = registry.schemaVersion
        var sortAttributes: [String: String] = [:]
        for entity in registry.entities { sortAttributes[registry.physicalTable(entity.table)] = entity.keyAttribute }
        attributeTable = registry.physicalTable(RuntimeTables.attributeValues)
        sortAttributes[attributeTable] = RuntimeTables.attributeValueKey
        self.sortAttributes = sortAttributes
        redis = configuration.redis.map { RedisClient(configuration: $0) }
        state = Mutex(
            State(
                memory: MemoryLRU(capacity: configuration.memoryMaxEntries, ttl: configuration.ttl),
                subscribed: configuration.redis == nil))
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// Whether the memory layer is in use (Redis pub/sub is up, or there is no Redis).
    public var isMemoryLayerActive: Bool { state.withLock { $0.subscribed } }

    /// The pub/sub channel of invalidations.
    var channel: String { "ame:invalidate:\(schemaVersion)" }
    var epochKey: String { "ame:epoch:\(schemaVersion)" }

    // MARK: Lifecycle

    /// Starts listening for other processes' invalidations (with Redis); returns at once.
    public func start() {
        guard let redis else { return }
        let task = Task { [self] in
            var delay = Duration.milliseconds(50)
            var outage = false
            while !Task.isCancelled {
                do {
                    let connection = try await redis.subscribe(channel) { [self] _, payload in receive(payload) }
                    subscription.withLock { $0 = connection }
                    if Task.isCancelled { try? await connection.close() }
                    // After an outage, invalidations may have been missed: a new key space.
                    let epoch: String
                    if outage || state.withLock({ $0.mustBumpEpoch }) {
                        epoch = try await bumpEpoch(redis)
                    } else {
                        epoch = try await redis.send(["GET", epochKey]).text ?? "0"
                    }
                    state.withLock {
                        $0.epoch = epoch
                        $0.mustBumpEpoch = false
                        $0.memory.removeAll()
                        $0.subscribed = true
                    }
                    delay = .milliseconds(50)
                    try await connection.closeFuture.get()
                } catch {
                    countRedisError()
                }
                outage = true
                state.withLock {
                    $0.subscribed = false
                    $0.memory.removeAll()
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
        subscriber.withLock { $0 = task }
    }

    /// Ends the subscription and closes the connections to Redis.
    public func shutdown() async {
        subscriber.withLock { $0 }?.cancel()
        try? await subscription.withLock { $0 }?.close()
        await redis?.close()
    }

    /// Moves every process to a new key space, and tells them.
    private func bumpEpoch(_ redis: RedisClient) async throws -> String {
        guard let epoch = try await redis.send(["INCR", epochKey]).text else { throw RedisError.reply("INCR") }
        _ = try await redis.send(["PUBLISH", channel, "E" + epoch])
        return epoch
    }

    // MARK: Reading

    func isCached(_ key: TableKey) -> Bool {
        if key.table == attributeTable { return key.key.sort.hasPrefix("A#") }
        return sortAttributes[key.table] != nil
    }

    /// Reads `keys` through the cache: memory, then one MGET for what memory lacks, then one
    /// store batch read (through `session`, so it is counted) for the rest; fills both layers.
    /// Returns the items found and how many keys the cache answered.
    func read(_ keys: [TableKey], session: StoreSession) async throws -> (items: [TableKey: Item], hits: Int) {
        let start = ContinuousClock.now
        var seen = Set<TableKey>()
        let keys = keys.filter { seen.insert($0).inserted }
        var result: [TableKey: Item] = Dictionary(minimumCapacity: keys.count)
        var missing: [TableKey] = []
        var fromStore: [TableKey] = []
        let (memoryActive, epoch) = state.withLock { state -> (Bool, String?) in
            guard state.subscribed else { return (false, nil) }
            return (true, state.mustBumpEpoch ? nil : state.epoch)
        }
        var memoryHits = 0
        if memoryActive {
            state.withLock { state in
                for key in keys {
                    guard isCached(key) else {
                        fromStore.append(key)
                        continue
                    }
                    if let entry = state.memory.value(for: key, now: start) {
                        memoryHits += 1
                        if let item = entry { result[key] = item }
                    } else {
                        missing.append(key)
                    }
                }
            }
        } else {
            for key in keys { if isCached(key) { missing.append(key) } else { fromStore.append(key) } }
        }
        counters.withLock {
            $0.memoryHits += memoryHits
            $0.memoryMisses += memoryActive ? missing.count : 0
        }
        metrics.memoryRequests.count(hits: memoryHits, misses: memoryActive ? missing.count : 0)

        var fromRedis: [TableKey: Item?] = [:]
        if let redis, let epoch, !missing.isEmpty, allowRedis() {
            do {
                let reply = try await redis.pipeline([
                    [Array("MGET".utf8)] + missing.map { redisKey($0, epoch: epoch) }
                ])
                guard case .array(let values?) = reply[0], values.count == missing.count else {
                    throw RedisError.reply("unexpected MGET reply")
                }
                for (key, value) in zip(missing, values) {
                    if case .bulk(let bytes?) = value, let entry = Self.decode(bytes) { fromRedis[key] = entry }
                }
                redisSucceeded()
            } catch {
                redisFailed()
            }
            let hits = fromRedis.count
            counters.withLock {
                $0.redisHits += hits
                $0.redisMisses += missing.count - hits
            }
            metrics.redisRequests.count(hits: hits, misses: missing.count - hits)
        }
        var stored: [TableKey] = []
        for key in missing {
            if let entry = fromRedis[key] {
                if let item = entry { result[key] = item }
            } else {
                stored.append(key)
            }
        }
        let items = try await session.batchGet(fromStore + stored)
        for key in fromStore { if let item = items[key] { result[key] = item } }
        for key in stored { if let item = items[key] { result[key] = item } }

        // Fill: memory with what Redis and the store returned, Redis with what the store returned,
        // skipping keys invalidated since this read began.
        if memoryActive {
            let evicted = state.withLock { state -> Int in
                guard state.subscribed else { return 0 }
                var evicted = 0
                for key in missing where (state.invalidatedAt[key].map { $0 < start } ?? true) {
                    evicted += state.memory.set(fromRedis[key] ?? items[key], for: key, now: .now)
                }
                return evicted
            }
            if evicted > 0 {
                counters.withLock { $0.evictions += evicted }
                metrics.countEvictions(evicted)
            }
        }
        if let redis, let epoch, !stored.isEmpty, allowRedis() {
            let seconds = String(max(1, configuration.ttl.components.seconds))
            let commands = stored.map { key in
                [
                    Array("SET".utf8), redisKey(key, epoch: epoch), Self.encode(items[key]), Array("EX".utf8),
                    Array(seconds.utf8), Array("NX".utf8),
                ]
            }
            do {
                _ = try await redis.pipeline(commands)
                redisSucceeded()
            } catch {
                redisFailed()
            }
        }
        return (result, memoryHits + fromRedis.count)
    }

    // MARK: Invalidation

    /// The cached keys a write changes.
    func keys(of actions: [WriteAction]) -> [TableKey] {
        actions.compactMap { action -> TableKey? in
            switch action {
            case .put(let table, let item, _):
                guard let sort = sortAttributes[table], case .string(let partition)? = item[tenantAttribute],
                    case .string(let key)? = item[sort]
                else { return nil }
                return TableKey(table: table, key: ItemKey(partition: partition, sort: key))
            case .delete(let table, let key, _):
                return TableKey(table: table, key: key)
            case .conditionCheck:
                return nil
            }
        }.filter(isCached)
    }

    /// Forgets `keys` here, in Redis and in every other process. Called after every write that
    /// may have committed, before the write is acknowledged.
    func invalidate(_ keys: [TableKey]) async {
        guard !keys.isEmpty else { return }
        let now = ContinuousClock.now
        let epoch = state.withLock { state -> String? in
            for key in keys {
                state.memory.remove(key)
                state.invalidatedAt[key] = now
            }
            if state.invalidatedAt.count > 4096 {
                state.invalidatedAt = state.invalidatedAt.filter { now - $0.value < .seconds(30) }
            }
            return state.epoch
        }
        guard let redis else { return }
        guard let epoch, allowRedis() else {
            state.withLock { $0.mustBumpEpoch = true }
            return
        }
        let seconds = String(max(1, configuration.tombstoneTTL.components.seconds))
        var commands = keys.map { key in
            [Array("SET".utf8), redisKey(key, epoch: epoch), Self.tombstone, Array("EX".utf8), Array(seconds.utf8)]
        }
        commands.append([Array("PUBLISH".utf8), Array(channel.utf8), Self.message(keys)])
        do {
            _ = try await redis.pipeline(commands)
            redisSucceeded()
        } catch {
            redisFailed()
            state.withLock { $0.mustBumpEpoch = true }
        }
    }

    /// Another process's invalidation (or a new epoch).
    private func receive(_ payload: [UInt8]) {
        counters.withLock { $0.invalidationsReceived += 1 }
        if payload.first == UInt8(ascii: "E") {
            let epoch = String(decoding: payload.dropFirst(), as: UTF8.self)
            state.withLock {
                $0.epoch = epoch
                $0.memory.removeAll()
            }
            return
        }
        let keys = Self.keys(inMessage: payload)
        let now = ContinuousClock.now
        state.withLock { state in
            for key in keys {
                state.memory.remove(key)
                state.invalidatedAt[key] = now
            }
        }
    }

    // MARK: Circuit breaker

    private func allowRedis() -> Bool {
        state.withLock { state in
            guard let until = state.openUntil else { return true }
            // Half-open: one attempt after the cooldown; a failure opens it again.
            guard ContinuousClock.now >= until else { return false }
            state.openUntil = ContinuousClock.now + configuration.breakerCooldown
            return true
        }
    }

    private func redisSucceeded() {
        let wasOpen = state.withLock { state in
            defer {
                state.consecutiveFailures = 0
                state.openUntil = nil
            }
            return state.openUntil != nil
        }
        if wasOpen {
            metrics.recordRedisCircuit(open: false)
            Self.logger.notice("redis circuit closed")
        }
    }

    private func redisFailed() {
        countRedisError()
        let opened = state.withLock { state in
            state.consecutiveFailures += 1
            guard state.consecutiveFailures >= configuration.breakerThreshold else { return false }
            defer { state.openUntil = ContinuousClock.now + configuration.breakerCooldown }
            return state.openUntil == nil
        }
        if opened {
            // Alerts watch this gauge (and, on Lambda, the log line).
            metrics.recordRedisCircuit(open: true)
            Self.logger.warning("redis circuit opened", metadata: ["failures": "\(configuration.breakerThreshold)"])
        }
    }

    static let logger = Logger(label: "ame.cache")

    private func countRedisError() {
        counters.withLock { $0.redisErrors += 1 }
        metrics.countRedisError()
    }

    // MARK: Encoding

    /// `ame:c:<schema>:<epoch>:<table>:<partition length>:<partition>:<sort>`: the tenant is the
    /// partition; the schema version keeps a changed schema from reading old-shape values.
    func redisKey(_ key: TableKey, epoch: String) -> [UInt8] {
        Array(
            "ame:c:\(schemaVersion):\(epoch):\(key.table):\(key.key.partition.utf8.count):\(key.key.partition):\(key.key.sort)"
                .utf8)
    }

    static let tombstone: [UInt8] = [2]

    /// An item (tag 1 + its encoding) or its absence (tag 0).
    static func encode(_ item: Item?) -> [UInt8] {
        guard let item else { return [0] }
        return [1] + ItemCodec.encode(item)
    }

    /// `nil` for a tombstone or an unreadable value (both are misses).
    static func decode(_ bytes: [UInt8]) -> Item?? {
        switch bytes.first {
        case 0: return .some(nil)
        case 1:
            return bytes.dropFirst().withUnsafeBytes { buffer in (try? ItemCodec.decode(buffer)).map { .some($0) } }
        default: return nil
        }
    }

    package static func message(_ keys: [TableKey]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "K")]
        for key in keys {
            for part in [key.table, key.key.partition, key.key.sort] {
                bytes += Array(String(part.utf8.count).utf8) + [UInt8(ascii: ":")] + Array(part.utf8)
            }
        }
        return bytes
    }

    package static func keys(inMessage payload: [UInt8]) -> [TableKey] {
        guard payload.first == UInt8(ascii: "K") else { return [] }
        var parts: [String] = []
        var position = 1
        while position < payload.count {
            guard let colon = payload[position...].firstIndex(of: UInt8(ascii: ":")),
                let length = Int(String(decoding: payload[position..<colon], as: UTF8.self)),
                colon + 1 + length <= payload.count
            else { return [] }
            parts.append(String(decoding: payload[(colon + 1)..<(colon + 1 + length)], as: UTF8.self))
            position = colon + 1 + length
        }
        guard parts.count % 3 == 0 else { return [] }
        return stride(from: 0, to: parts.count, by: 3).map {
            TableKey(table: parts[$0], key: ItemKey(partition: parts[$0 + 1], sort: parts[$0 + 2]))
        }
    }
}

extension CacheConfiguration {
    /// Reads `AME_CACHE_ENABLED`, `AME_REDIS_URL`, `AME_CACHE_TTL` (seconds, 300) and
    /// `AME_CACHE_MEMORY_MAX` (entries, 1000); `nil` when the cache is off (the default).
    public static func fromEnvironment(
        _ environment: [String: String]
    ) throws(CacheConfigurationError)
        -> CacheConfiguration?
    {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        switch value("AME_CACHE_ENABLED")?.lowercased() {
        case nil, "0", "false", "no", "off": return nil
        case "1", "true", "yes", "on": break
        case let other?:
            throw CacheConfigurationError(description: "AME_CACHE_ENABLED=`\(other)`: use true or false")
        }
        var configuration = CacheConfiguration()
        if let text = value("AME_CACHE_TTL") {
            guard let seconds = Int(text), seconds > 0 else {
                throw CacheConfigurationError(description: "AME_CACHE_TTL=`\(text)`: give a number of seconds above 0")
            }
            configuration.ttl = .seconds(seconds)
        }
        if let text = value("AME_CACHE_MEMORY_MAX") {
            guard let entries = Int(text), entries > 0 else {
                throw CacheConfigurationError(
                    description: "AME_CACHE_MEMORY_MAX=`\(text)`: give a number of entries above 0")
            }
            configuration.memoryMaxEntries = entries
        }
        if let url = value("AME_REDIS_URL") {
            do {
                configuration.redis = try RedisConfiguration(url: url)
            } catch {
                throw CacheConfigurationError(description: error.description)
            }
        }
        return configuration
    }
}

public struct CacheConfigurationError: Error, CustomStringConvertible {
    public var description: String
}
