import Synchronization

/// Metric handles by label values, each made on first use and then reused (``RuntimeMetrics``,
/// the server's request metrics). Every key is a series in the backend: callers keep the keys to
/// a bounded set.
package final class MetricHandles<Key: Hashable & Sendable, Handle: Sendable>: Sendable {
    private let handles: Mutex<[Key: Handle]>
    private let make: @Sendable (Key) -> Handle

    /// Handles for `keys` are made at once (their series exist from the start); others on first use.
    package init(preparing keys: [Key] = [], _ make: @escaping @Sendable (Key) -> Handle) {
        self.make = make
        handles = Mutex(Dictionary(keys.map { ($0, make($0)) }, uniquingKeysWith: { first, _ in first }))
    }

    package subscript(key: Key) -> Handle {
        handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make(key)
            handles[key] = handle
            return handle
        }
    }
}
