import AMERuntime

/// A DataLoader-style loader: the keys requested while a time window is open are read with one
/// BatchGetItem (chunked at 100 by the session); each key is read at most once per request.
actor BatchWindowLoader {
    private let session: StoreSession
    private let window: Duration
    private var loaded: [TableKey: Item?] = [:]
    private var waiting: [TableKey: [CheckedContinuation<Item?, any Error>]] = [:]
    private var windowOpen = false

    init(session: StoreSession, window: Duration) {
        self.session = session
        self.window = window
    }

    func load(_ key: TableKey) async throws -> Item? {
        if let item = loaded[key] { return item }
        return try await withCheckedThrowingContinuation { continuation in
            waiting[key, default: []].append(continuation)
            guard !windowOpen else { return }
            windowOpen = true
            Task {
                try? await Task.sleep(for: window)
                await dispatch()
            }
        }
    }

    private func dispatch() async {
        let batch = waiting
        waiting = [:]
        windowOpen = false
        do {
            let items = try await session.batchGet(Array(batch.keys))
            for (key, continuations) in batch {
                loaded[key] = items[key]
                for continuation in continuations { continuation.resume(returning: items[key]) }
            }
        } catch {
            for continuation in batch.values.joined() { continuation.resume(throwing: error) }
        }
    }
}
