/// One tenant's bucket of one capacity kind: it fills at the class's units per second up to its
/// burst, a request is admitted while it can cover the request's estimate, and is charged what it
/// cost afterwards, which may leave the bucket in debt. The in-process form of the rule; the
/// shared form is the same rule in ``RateLimiter/script``, run by Redis on Redis's clock.
struct TokenBucket: Sendable, Equatable {
    /// Units available; negative while in debt.
    var tokens: Double
    /// When `tokens` was last brought up to date, in seconds on the bucket's clock.
    var updatedAt: Double

    /// A full bucket.
    init(burst: Double, now: Double) {
        tokens = burst
        updatedAt = now
    }

    /// Adds what has flowed in since the last update, up to `burst`.
    mutating func refill(unitsPerSecond: Double, burst: Double, now: Double) {
        let elapsed = max(0, now - updatedAt)
        tokens = min(burst, tokens + elapsed * unitsPerSecond)
        updatedAt = max(updatedAt, now)
    }

    /// `nil` when a request estimated at `estimate` units is admitted; else the whole seconds
    /// after which it would be (at least 1). The estimate is capped at the burst, so a request
    /// larger than the bucket is admitted once the bucket is full; an estimate of 0 is refused
    /// only while the bucket is empty or in debt.
    func retryAfter(estimate: Double, unitsPerSecond: Double, burst: Double) -> Int? {
        let need = min(max(estimate, 0), burst)
        guard tokens <= 0 || tokens < need else { return nil }
        return Self.retryAfter(need: need, tokens: tokens, unitsPerSecond: unitsPerSecond)
    }

    /// The whole seconds until `tokens` covers `need` (and is above 0): never less than 1.
    static func retryAfter(need: Double, tokens: Double, unitsPerSecond: Double) -> Int {
        let seconds = ((need - tokens) / unitsPerSecond).rounded(.down) + 1
        return Int(min(max(seconds, 1), 86_400 * 365))
    }

    /// Takes what a request cost.
    mutating func charge(_ units: Double) { tokens -= max(units, 0) }
}
