import Crypto
import Logging
import Synchronization

/// Per-tenant rate limits in DynamoDB capacity units (`AME_RATE_LIMITS_FILE`), enforced by the
/// engine: a request is admitted before it runs when its tenant's buckets can cover its estimate,
/// and charged what it cost once it has run.
///
/// The buckets are shared by every instance through Redis (`AME_REDIS_URL`): each admission and
/// each charge is one atomic script (``script``) on Redis's own clock, so the instances' clocks do
/// not matter. When Redis cannot be reached, each instance keeps buckets of its own with the same
/// rule (``TokenBucket``): the limit still holds, but per instance, until Redis answers again.
/// The outage is logged once when it starts and once when it ends, and every decision made
/// locally is counted (`ame_rate_limit_fallbacks_total`).
public final class RateLimiter: Sendable {
    public let limits: RateLimits
    let redis: RedisClient?
    let metrics: RuntimeMetrics
    /// The prefix of every bucket's key in Redis; the tenant's partition key follows it.
    let namespace: String
    /// When Redis is tried again after it failed.
    let outage: RedisOutage
    private let state: Mutex<State>

    private struct State {
        /// This process's own buckets (used without Redis, or while it is unreachable), by the
        /// bytes of the tenant's partition key.
        var buckets: [[UInt8]: Buckets] = [:]
    }

    private struct Buckets {
        var read: TokenBucket
        var write: TokenBucket
        /// The tenant's class when the buckets were last used.
        var tenantClass: RateLimitClass

        /// Whether both buckets would be full by `now` (then they are the same as none).
        func isFull(at now: Double) -> Bool {
            var read = read
            var write = write
            read.refill(unitsPerSecond: tenantClass.readUnitsPerSecond, burst: tenantClass.readBurst, now: now)
            write.refill(unitsPerSecond: tenantClass.writeUnitsPerSecond, burst: tenantClass.writeBurst, now: now)
            return read.tokens >= tenantClass.readBurst && write.tokens >= tenantClass.writeBurst
        }
    }

    /// Local buckets kept before full ones are dropped (a full bucket is the same as none).
    static let localBucketsKept = 10_000

    private let start = ContinuousClock.now

    public init(
        limits: RateLimits, redis: RedisConfiguration?, metrics: RuntimeMetrics, namespace: String = "ame:rate:",
        retryInterval: Duration = .seconds(1), logger: Logger = Logger(label: "ame.limits")
    ) {
        outage = RedisOutage(
            retryInterval: retryInterval, logger: logger,
            consequence: "rate limits are enforced by each instance alone until it answers",
            recovery: "rate limits are shared through Redis again")
        self.limits = limits
        self.redis = redis.map { RedisClient(configuration: $0) }
        self.metrics = metrics
        self.namespace = namespace
        state = Mutex(State())
    }

    /// Closes the connections to Redis.
    public func shutdown() async {
        await redis?.close()
    }

    /// The key of `tenant`'s buckets in Redis (a hash of `read`, `write` and `at`).
    public func key(of tenant: Tenant) -> String { namespace + tenant.partitionKey }

    /// `nil` when `tenant`'s request, estimated at `estimate`, may run; else why not. Reads and
    /// writes nothing in the store.
    public func admit(_ tenant: Tenant, estimate: CapacityUnits) async -> RateLimitRefusal? {
        let tenantClass = limits.tenantClass(of: tenant)
        let (refused, retryAfter) = await decide(.admit, tenant: tenant, tenantClass: tenantClass, units: estimate)
        guard !refused.isEmpty else { return nil }
        for kind in refused { metrics.countRateLimited(kind: kind, tenantClass: tenantClass.name) }
        return RateLimitRefusal(kinds: refused, tenantClass: tenantClass, retryAfterSeconds: retryAfter)
    }

    /// Takes what `tenant`'s request cost from its buckets (which may leave them in debt).
    public func charge(_ tenant: Tenant, units: CapacityUnits) async {
        guard !units.isZero else { return }
        _ = await decide(.charge, tenant: tenant, tenantClass: limits.tenantClass(of: tenant), units: units)
    }

    enum Mode: String {
        case admit
        case charge
    }

    /// Runs the rule in Redis, or locally without Redis or when Redis fails.
    private func decide(
        _ mode: Mode, tenant: Tenant, tenantClass: RateLimitClass, units: CapacityUnits
    ) async -> (refused: [CapacityKind], retryAfter: Int) {
        if let redis, outage.allowsCall {
            do {
                let result = try await shared(
                    mode, redis: redis, tenant: tenant, tenantClass: tenantClass, units: units)
                outage.succeeded()
                return result
            } catch {
                outage.failed(error)
            }
        }
        if redis != nil { metrics.countRateLimitLocalDecision() }
        return local(mode, tenant: tenant, tenantClass: tenantClass, units: units)
    }

    private func local(
        _ mode: Mode, tenant: Tenant, tenantClass: RateLimitClass, units: CapacityUnits
    ) -> (refused: [CapacityKind], retryAfter: Int) {
        let now = (ContinuousClock.now - start) / .seconds(1)
        return state.withLock { state in
            let key = Array(tenant.partitionKey.utf8)
            var buckets =
                state.buckets[key]
                ?? Buckets(
                    read: TokenBucket(burst: tenantClass.readBurst, now: now),
                    write: TokenBucket(burst: tenantClass.writeBurst, now: now), tenantClass: tenantClass)
            buckets.tenantClass = tenantClass
            buckets.read.refill(unitsPerSecond: tenantClass.readUnitsPerSecond, burst: tenantClass.readBurst, now: now)
            buckets.write.refill(
                unitsPerSecond: tenantClass.writeUnitsPerSecond, burst: tenantClass.writeBurst, now: now)
            var refused: [CapacityKind] = []
            var retryAfter = 0
            switch mode {
            case .admit:
                for (kind, bucket, estimate) in [
                    (CapacityKind.read, buckets.read, units.read), (.write, buckets.write, units.write),
                ] {
                    if let seconds = bucket.retryAfter(
                        estimate: estimate, unitsPerSecond: tenantClass.unitsPerSecond(kind),
                        burst: tenantClass.burst(kind))
                    {
                        refused.append(kind)
                        retryAfter = max(retryAfter, seconds)
                    }
                }
            case .charge:
                buckets.read.charge(units.read)
                buckets.write.charge(units.write)
            }
            state.buckets[key] = buckets
            if state.buckets.count > Self.localBucketsKept {
                // A full bucket is the same as none; those still filling are kept.
                state.buckets = state.buckets.filter { !$0.value.isFull(at: now) }
            }
            return (refused, retryAfter)
        }
    }

    /// The rule of ``TokenBucket`` for both kinds at once, atomic in Redis, on Redis's clock
    /// (`TIME`). `KEYS[1]` is the tenant's hash; `ARGV` the mode (`admit` or `charge`), the read
    /// rate and burst, the write rate and burst, then the read and write units (the estimate or
    /// the cost). Returns the refused kinds (1 read, 2 write, 3 both), the seconds to wait, and the
    /// tokens left. The key expires once the buckets would be full again (a missing key is a full
    /// bucket).
    static let script = """
        local now = redis.call('TIME')
        local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
        local state = redis.call('HMGET', KEYS[1], 'read', 'write', 'at')
        local elapsed = math.max(0, t - (tonumber(state[3]) or t))
        local refused, wait, ttl = 0, 0, 1
        local tokens = {}
        for i = 1, 2 do
          local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
          local units = math.max(0, tonumber(ARGV[5 + i]))
          local current = math.min(burst, (tonumber(state[i]) or burst) + elapsed * rate)
          if ARGV[1] == 'admit' then
            local need = math.min(units, burst)
            if current <= 0 or current < need then
              refused = refused + i
              wait = math.max(wait, math.floor((need - current) / rate) + 1)
            end
          else
            current = current - units
          end
          tokens[i] = current
          ttl = math.max(ttl, math.ceil((burst - current) / rate) + 1)
        end
        redis.call('HSET', KEYS[1], 'read', string.format('%.17g', tokens[1]),
          'write', string.format('%.17g', tokens[2]), 'at', string.format('%.6f', t))
        redis.call('EXPIRE', KEYS[1], math.min(ttl, 2592000))
        return {refused, math.min(wait, 31536000), string.format('%.17g', tokens[1]), string.format('%.17g', tokens[2])}
        """

    static let scriptSHA1 = Insecure.SHA1.hash(data: Array(script.utf8)).map { byte in
        String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }.joined()

    private func shared(
        _ mode: Mode, redis: RedisClient, tenant: Tenant, tenantClass: RateLimitClass, units: CapacityUnits
    ) async throws -> (refused: [CapacityKind], retryAfter: Int) {
        let arguments = [
            "1", key(of: tenant), mode.rawValue, Self.number(tenantClass.readUnitsPerSecond),
            Self.number(tenantClass.readBurst), Self.number(tenantClass.writeUnitsPerSecond),
            Self.number(tenantClass.writeBurst), Self.number(units.read), Self.number(units.write),
        ]
        var reply = try await redis.send(["EVALSHA", Self.scriptSHA1] + arguments)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            // A new or restarted Redis: EVAL sends the script once, and Redis keeps it for EVALSHA.
            reply = try await redis.send(["EVAL", Self.script] + arguments)
        }
        guard case .array(let values?) = reply, values.count == 4, case .integer(let refused) = values[0],
            case .integer(let retryAfter) = values[1]
        else {
            if case .error(let message) = reply { throw RedisError.reply(message) }
            throw RedisError.reply("unexpected reply to the rate limit script")
        }
        var kinds: [CapacityKind] = []
        if refused & 1 != 0 { kinds.append(.read) }
        if refused & 2 != 0 { kinds.append(.write) }
        return (kinds, retryAfter)
    }

    /// A number as the script reads it (`tonumber`).
    private static func number(_ value: Double) -> String { String(value) }

    /// The tokens left in `tenant`'s buckets in Redis; `nil` when it holds none (full buckets).
    public func sharedTokens(of tenant: Tenant) async throws -> CapacityUnits? {
        guard let redis else { return nil }
        let reply = try await redis.send(["HMGET", key(of: tenant), "read", "write"])
        guard case .array(let values?) = reply, values.count == 2, let read = values[0].text.flatMap(Double.init),
            let write = values[1].text.flatMap(Double.init)
        else { return nil }
        return CapacityUnits(read: read, write: write)
    }
}

/// Why a request was refused before it ran: its tenant's buckets of `kinds` cannot cover it now.
public struct RateLimitRefusal: Sendable, Equatable {
    public var kinds: [CapacityKind]
    public var tenantClass: RateLimitClass
    /// Whole seconds after which the request would be admitted, if nothing else is spent meanwhile.
    public var retryAfterSeconds: Int

    public init(kinds: [CapacityKind], tenantClass: RateLimitClass, retryAfterSeconds: Int) {
        self.kinds = kinds
        self.tenantClass = tenantClass
        self.retryAfterSeconds = retryAfterSeconds
    }

    var message: String {
        func units(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
        let limits = kinds.map { kind in
            "\(units(tenantClass.unitsPerSecond(kind))) \(kind.rawValue) units per second, \(units(tenantClass.burst(kind))) at once"
        }
        return "the tenant's \(kinds.map(\.rawValue).joined(separator: " and ")) capacity is used up "
            + "(its limit: \(limits.joined(separator: "; "))); retry after \(retryAfterSeconds) s"
    }
}
