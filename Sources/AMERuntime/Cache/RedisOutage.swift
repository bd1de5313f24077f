import Logging
import Synchronization

/// When a component that falls back to this process alone (rate limits, remembered writes) next
/// tries Redis after it failed, and one log line per outage, not per call.
final class RedisOutage: Sendable {
    /// How long after a failed call Redis is left alone before it is tried again.
    let retryInterval: Duration
    private let logger: Logger
    /// What an outage means for the component, logged when it starts.
    private let consequence: String
    /// What the component does again when Redis answers, logged when the outage ends.
    private let recovery: String
    private let state = Mutex<(outage: Bool, skipUntil: ContinuousClock.Instant?)>((false, nil))

    init(retryInterval: Duration, logger: Logger, consequence: String, recovery: String) {
        self.retryInterval = retryInterval
        self.logger = logger
        self.consequence = consequence
        self.recovery = recovery
    }

    /// Whether Redis may be called now.
    var allowsCall: Bool { state.withLock { $0.skipUntil.map { ContinuousClock.now >= $0 } ?? true } }

    /// Redis answered: an outage ends.
    func succeeded() {
        let recovered = state.withLock { state -> Bool in
            defer { state = (false, nil) }
            return state.outage
        }
        if recovered { logger.notice("\(recovery)") }
    }

    /// Redis failed: it is left alone for ``retryInterval``.
    func failed(_ error: any Error) {
        let started = state.withLock { state -> Bool in
            defer { state = (true, ContinuousClock.now + retryInterval) }
            return !state.outage
        }
        if started { logger.warning("redis unreachable: \(consequence)", metadata: ["error": "\(error)"]) }
    }
}
