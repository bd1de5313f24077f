/// A least-recently-used map with a bounded number of entries and a time to live. Not
/// thread-safe: its owner locks it.
struct MemoryLRU<Key: Hashable, Value> {
    private struct Node {
        var key: Key
        var value: Value
        var expires: ContinuousClock.Instant
        var newer: Int?
        var older: Int?
    }

    let capacity: Int
    let ttl: Duration
    private var nodes: [Node] = []
    private var index: [Key: Int] = [:]
    private var free: [Int] = []
    private var newest: Int?
    private var oldest: Int?

    init(capacity: Int, ttl: Duration) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
    }

    var count: Int { index.count }

    /// The value of `key` if present and not expired; marks it most recently used.
    mutating func value(for key: Key, now: ContinuousClock.Instant) -> Value? {
        guard let position = index[key] else { return nil }
        guard nodes[position].expires > now else {
            remove(key)
            return nil
        }
        unlink(position)
        link(position)
        return nodes[position].value
    }

    /// Stores `value`; returns how many entries were evicted to make room.
    @discardableResult
    mutating func set(_ value: Value, for key: Key, now: ContinuousClock.Instant) -> Int {
        if let position = index[key] {
            nodes[position].value = value
            nodes[position].expires = now + ttl
            unlink(position)
            link(position)
            return 0
        }
        var evicted = 0
        while index.count >= capacity, let oldest {
            remove(nodes[oldest].key)
            evicted += 1
        }
        let node = Node(key: key, value: value, expires: now + ttl)
        let position: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            position = reused
        } else {
            nodes.append(node)
            position = nodes.count - 1
        }
        index[key] = position
        link(position)
        return evicted
    }

    mutating func remove(_ key: Key) {
        guard let position = index.removeValue(forKey: key) else { return }
        unlink(position)
        free.append(position)
    }

    mutating func removeAll() {
        nodes = []
        index = [:]
        free = []
        newest = nil
        oldest = nil
    }

    private mutating func link(_ position: Int) {
        nodes[position].older = newest
        nodes[position].newer = nil
        if let newest { nodes[newest].newer = position }
        newest = position
        if oldest == nil { oldest = position }
    }

    private mutating func unlink(_ position: Int) {
        let node = nodes[position]
        if let newer = node.newer { nodes[newer].older = node.older } else { newest = node.older }
        if let older = node.older { nodes[older].newer = node.newer } else { oldest = node.newer }
    }
}
