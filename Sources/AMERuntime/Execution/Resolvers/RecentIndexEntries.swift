/// The writes of the last moments (``RecentWrites``) that a read of one global index partition
/// may not list yet, as they are now: read again by key, kept while they belong to the read, in
/// the index's order after the read's start. The readers of global indexes (``ListReader``,
/// relations, gets by a unique field) place them among the index's entries, and skip the
/// entries of the same items (their positions may be stale), so a client reads its own writes.
package struct RecentIndexEntries {
    let table: TableDefinition
    let index: IndexDefinition
    /// The items still to be placed, in the index's order.
    private var pending: ArraySlice<Item>
    /// The table keys of every recent write to the partition.
    private let keys: Set<String>

    /// The recent writes to `request`'s partition of a global index that `belongs` accepts as
    /// they are now. `read` holds the entries of the index's first page and their current items
    /// (`nil`: gone), already read by key; the other writes are read in one BatchGetItem, so
    /// once the index lists the writes they cost nothing more.
    static func load(
        _ request: QueryRequest, table: TableDefinition, tenant: String, session: StoreSession,
        read: (entries: [Item], current: [Item?]), belongs: (Item) -> Bool
    ) async throws -> RecentIndexEntries? {
        guard let name = request.index, let index = table.index(named: name), index.isGlobal,
            let partitionAttribute = index.partitionAttribute, let recent = session.recentWrites
        else { return nil }
        func inPartition(_ item: Item) -> Bool {
            item[partitionAttribute] == request.partition
                && satisfies(item[index.sortAttribute], request.sortCondition)
        }
        // The newest record of each item wins.
        var candidates: [String: Item] = [:]
        for entry in await recent.entries(table: table.name, tenant: tenant) {
            guard case .string(let key)? = entry[table.sortAttribute] else { continue }
            candidates[key] = inPartition(entry) ? entry : nil
        }
        guard !candidates.isEmpty else { return nil }
        var known: [String: Item?] = [:]
        for (entry, item) in zip(read.entries, read.current) {
            guard case .string(let key)? = entry[table.sortAttribute], candidates[key] != nil else { continue }
            known[key] = item
        }
        let unread = candidates.keys.filter { known[$0] == nil }.sorted()
        let fetched = try await session.currentItems(of: unread.map { candidates[$0]! }, in: table)
        let current = known.values.compactMap { $0 } + fetched.compactMap { $0 }
        let start = request.exclusiveStartKey
        let placed = current.filter { item in
            inPartition(item) && belongs(item) && start.map { precedes($0, item, index: index, table: table) } ?? true
        }
        return RecentIndexEntries(
            table: table, index: index,
            pending: placed.sorted { precedes($0, $1, index: index, table: table) }[...],
            keys: Set(candidates.keys))
    }

    /// Whether an index entry is of an item written within the window: its item is placed from
    /// the recent writes instead, where it is now.
    func supersedes(_ entry: Item) -> Bool {
        guard case .string(let key)? = entry[table.sortAttribute] else { return false }
        return keys.contains(key)
    }

    /// The next recent item the index lists before `entry` (or at all, for `nil`: the index has
    /// no entry left).
    mutating func next(before entry: Item?) -> Item? {
        guard let first = pending.first else { return nil }
        if let entry, !Self.precedes(first, entry, index: index, table: table) { return nil }
        return pending.popFirst()
    }

    /// The next recent item the index lists no later than `key`, where a page ended.
    mutating func next(notAfter key: Item) -> Item? {
        guard let first = pending.first, !Self.precedes(key, first, index: index, table: table) else { return nil }
        return pending.popFirst()
    }

    /// The index's order: its sort key, then the table's.
    package static func precedes(_ a: Item, _ b: Item, index: IndexDefinition, table: TableDefinition) -> Bool {
        switch compare(a[index.sortAttribute], b[index.sortAttribute]) {
        case let order where order != 0: return order < 0
        default: return compare(a[table.sortAttribute], b[table.sortAttribute]) < 0
        }
    }

    /// DynamoDB's order of key values: strings by their UTF-8 bytes, numbers by value.
    package static func compare(_ a: ItemValue?, _ b: ItemValue?) -> Int {
        switch (a, b) {
        case (.string(let x)?, .string(let y)?):
            return x == y ? 0 : (x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1)
        case (.number(let x)?, .number(let y)?):
            let (left, right) = (Double(x) ?? 0, Double(y) ?? 0)
            return left == right ? 0 : (left < right ? -1 : 1)
        case (nil, nil), (.null?, .null?): return 0
        case (nil, _), (.null?, _): return -1
        case (_, nil), (_, .null?): return 1
        default: return 0
        }
    }

    /// Whether a sort key value meets a Query's sort key condition.
    package static func satisfies(_ value: ItemValue?, _ condition: SortKeyCondition?) -> Bool {
        guard let value, value != .null else { return false }
        switch condition {
        case nil: return true
        case .equals(let bound): return compare(value, bound) == 0
        case .lessThan(let bound): return compare(value, bound) < 0
        case .lessThanOrEqual(let bound): return compare(value, bound) <= 0
        case .greaterThan(let bound): return compare(value, bound) > 0
        case .greaterThanOrEqual(let bound): return compare(value, bound) >= 0
        case .between(let low, let high): return compare(value, low) >= 0 && compare(value, high) <= 0
        case .beginsWith(let prefix):
            guard case .string(let text) = value else { return false }
            return text.utf8.starts(with: prefix.utf8)
        }
    }
}

extension StoreSession {
    /// One page of a global index as it is now: its entries read again by key and kept while
    /// `belongs` accepts them, and the recent writes the index may not list yet placed among
    /// them (the page ends where the index's page ends, or at `request.limit` items).
    func currentPage(
        _ request: QueryRequest, in table: TableDefinition, tenant: String, belongs: (Item) -> Bool
    ) async throws -> (items: [Item], lastEvaluatedKey: Item?) {
        let page = try await query(request)
        let current = try await currentItems(of: page.items, in: table)
        var recent = try await RecentIndexEntries.load(
            request, table: table, tenant: tenant, session: self, read: (page.items, current), belongs: belongs)
        var items: [Item] = []
        for (entry, item) in zip(page.items, current) {
            while let placed = recent?.next(before: entry) { items.append(placed) }
            if recent?.supersedes(entry) == true { continue }
            if let item, belongs(item) { items.append(item) }
        }
        // The page ends where the index's did (its entries may all have been left out).
        if let end = page.lastEvaluatedKey {
            while let placed = recent?.next(notAfter: end) { items.append(placed) }
        } else {
            while let placed = recent?.next(before: nil) { items.append(placed) }
        }
        guard items.count > request.limit, let index = request.index else { return (items, page.lastEvaluatedKey) }
        items.removeLast(items.count - request.limit)
        return (items, items.last.map { table.key(of: $0, index: index) })
    }
}
