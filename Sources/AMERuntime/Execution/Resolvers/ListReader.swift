/// Reads one page of a root list (`contactProfileList(...)`): picks the index that serves an
/// equality filter, applies the other filters while reading, and keeps reading until the page is
/// full or the partition ends, so a page never comes back short while more matches exist. The
/// items read to be tested by those filters count against the request's scan budget
/// (`AME_MAX_SCAN_ITEMS`): past it the list fails with `QUERY_TOO_EXPENSIVE`, naming the index
/// that would serve it.
struct ListReader: Sendable {
    let table: String
    let index: String?
    /// The table read, for the keys of its items.
    let definition: TableDefinition
    /// The partition read: the tenant, or a global index's partition composed from it.
    let partition: ItemValue
    /// The tenant's partition key, whose recent writes a global index's pages include.
    let tenantPartition: String
    /// Whether the list reads a global index (eventually consistent).
    let isGlobal: Bool
    /// The equalities a global index served, checked again on the items read by key.
    let rechecks: [(attribute: String, value: ItemValue)]
    let sortCondition: SortKeyCondition?
    let filters: [(attribute: String, value: ItemValue)]
    /// `<field>Contains` filters: the field's text contains the value.
    let containing: [(attribute: String, text: String)]
    /// The entity's declared filters (`filters:` in the YAML) that the request gives.
    let declared: [DeclaredFilter]
    let limit: Int
    let pageNumber: Int?
    let startKey: Item?
    /// What a `nextToken` of this list is bound to: the entity and its filters.
    let tokenScope: String
    /// The arguments filtered while reading, for `QUERY_TOO_EXPENSIVE`.
    let scanFilters: [String]
    /// An index that would serve the first equality filtered while reading.
    let suggestedIndex: String?
    /// The request's scan budget (`AME_MAX_SCAN_ITEMS`).
    let scanBudget: Int
    /// What the page's items are read for (whole items when `nil`).
    private(set) var projection: ReadProjection?

    init(
        entity: EntityDefinition, arguments: [String: JSONValue], engine: GraphQLEngine, tenant: Tenant
    ) throws(AMEError) {
        table = engine.registry.physicalTable(entity.table)
        tenantPartition = tenant.partitionKey
        definition = TableDefinition(name: table, sortAttribute: entity.keyAttribute, indexes: entity.indexes)
        limit = arguments["limit"]?.intValue ?? engine.limits.defaultPageSize
        guard limit > 0, limit <= engine.limits.maxPageSize else {
            throw AMEError.badUserInput("`limit` must be between 1 and \(engine.limits.maxPageSize)", field: "limit")
        }
        var equalities: [(FieldDefinition, ItemValue)] = []
        for field in entity.fields where !field.isImplicit {
            switch field.type {
            case .string, .int, .float, .boolean: break
            case .json, .list, .object: continue  // no equality argument (a declared filter may share the name)
            }
            guard let argument = arguments[field.graphQLName], !argument.isNull else { continue }
            equalities.append((field, try WritePath.storedValue(argument, type: field.type, field: field.graphQLName)))
        }
        // The first declared local index whose sort key has an equality filter serves the list;
        // else the first global index whose partition does (its field, or the tenant alone and
        // its sort key).
        func value(of attribute: String?) -> ItemValue? {
            equalities.first { $0.0.attribute == attribute }?.1
        }
        let local = entity.indexes.first { !$0.isGlobal && value(of: $0.sortAttribute) != nil }
        let global = entity.indexes.first { index in
            index.isGlobal && value(of: index.partitionField ?? index.sortAttribute) != nil
        }
        let served = local ?? global
        index = served?.name
        var used = Set<String>()
        if let served, served.isGlobal {
            let fieldValue = served.partitionField.flatMap(value(of:))
            partition = served.partitionValue(tenant: tenant.partitionKey, fieldValue: fieldValue) ?? .null
            if let field = served.partitionField { used.insert(field) }
        } else {
            partition = .string(tenant.partitionKey)
        }
        if let served, let match = value(of: served.sortAttribute) {
            sortCondition = .equals(match)
            used.insert(served.sortAttribute)
        } else {
            sortCondition = nil
        }
        isGlobal = served?.isGlobal ?? false
        // A global index is eventually consistent: the items of its pages are read again by key,
        // and the filters it served are checked again on what is read.
        rechecks = isGlobal ? equalities.filter { used.contains($0.0.attribute) }.map { ($0.0.attribute, $0.1) } : []
        let unserved = equalities.filter { !used.contains($0.0.attribute) }
        filters = unserved.map { ($0.0.attribute, $0.1) }
        suggestedIndex = unserved.first.map { "\($0.0.attribute)-index: { sort: \($0.0.attribute) }" }
        let filteredAttributes = Set(unserved.map(\.0.attribute))
        var containing: [(String, String)] = []
        for field in entity.fields {
            guard case .string = field.type, let text = arguments[field.graphQLName + "Contains"]?.stringValue else {
                continue
            }
            containing.append((field.attribute, text))
        }
        self.containing = containing
        var scanFilters = unserved.map(\.0.graphQLName)
        for field in entity.fields where containing.contains(where: { $0.0 == field.attribute }) {
            scanFilters.append(field.graphQLName + "Contains")
        }
        var declared: [DeclaredFilter] = []
        for filter in entity.filters {
            guard let argument = arguments[filter.argument], !argument.isNull else { continue }
            declared.append(try DeclaredFilter(filter, argument))
        }
        self.declared = declared
        self.scanFilters = scanFilters + declared.map(\.definition.argument)
        // The smallest budget of the fields filtered while reading, under the server's.
        let scannedAttributes =
            filteredAttributes.union(containing.map(\.0)).union(declared.map(\.definition.attribute))
        scanBudget = entity.fields.filter { scannedAttributes.contains($0.attribute) }.compactMap(\.scanBudget)
            .reduce(engine.limits.maxScanItems, min)
        tokenScope =
            "list:\(entity.name)"
            + equalities.map { "|\($0.0.attribute)=\(AttributeText.of($0.1))" }.sorted().joined()
            + containing.map { "|\($0.0)~\($0.1)" }.sorted().joined()
            + declared.map(\.scope).sorted().joined()
        if let token = arguments["nextToken"]?.stringValue {
            startKey = try engine.pageTokens.decode(token, tenant: tenant, scope: tokenScope)
            pageNumber = nil
        } else {
            startKey = nil
            let page = arguments["pageNumber"]?.intValue ?? 1
            guard page >= 1 else { throw AMEError.badUserInput("`pageNumber` must be 1 or more", field: "pageNumber") }
            pageNumber = page
        }
    }

    private func matches(_ item: Item) -> Bool {
        rechecks.allSatisfy { WritePath.sameValue(item[$0.attribute], $0.value) }
            && filters.allSatisfy { filter in WritePath.sameValue(item[filter.attribute], filter.value) }
            && containing.allSatisfy { filter in
                guard case .string(let text)? = item[filter.attribute] else { return false }
                return text.contains(filter.text)
            }
            && declared.allSatisfy { $0.matches(item) }
    }

    /// Reads only `projection` of the items, and what the list's filters test.
    mutating func project(_ projection: ReadProjection) {
        let tested =
            rechecks.map(\.attribute) + filters.map(\.attribute) + containing.map(\.attribute)
            + declared.map(\.definition.attribute)
        self.projection = projection.union(ReadProjection(tested))
    }

    private var filtersWhileReading: Bool { !filters.isEmpty || !containing.isEmpty || !declared.isEmpty }

    private func key(of item: Item) -> Item { definition.key(of: item, index: index) }

    private func scanned(_ count: Int, _ session: StoreSession) throws(AMEError) {
        try session.scanned(count, budget: scanBudget, filters: scanFilters, index: suggestedIndex)
    }

    func read(_ session: StoreSession, countTotal: Bool) async throws -> QueryOutcome {
        let skipped = (pageNumber.map { $0 - 1 } ?? 0).multipliedReportingOverflow(by: limit)
        guard !skipped.overflow else {
            throw AMEError.badUserInput("`pageNumber` × `limit` is too large", field: "pageNumber")
        }
        var skip = skipped.partialValue
        var items: [Item] = []
        var lastKey: Item?
        // The entry of the last item kept: a page resumes after its index key, made only when a
        // page ends there.
        var lastEntry: Item?
        /// Keeps a match (past the skipped ones); `true` once the page is full and one more
        /// match exists, so the page resumes after its last item.
        func keep(_ item: Item, at entry: Item) -> Bool {
            if skip > 0 {
                skip -= 1
                return false
            }
            if items.count == limit {
                lastKey = lastEntry.map(key(of:))
                return true
            }
            items.append(item)
            lastEntry = entry
            return false
        }
        var request = QueryRequest(
            table: table, index: index, partition: partition, sortCondition: sortCondition, exclusiveStartKey: startKey,
            projection: projection
        )
        // Through a global index: what was written in the last moments, placed where the index
        // will list it (known after the first page).
        var recent: RecentIndexEntries?
        var firstPage = true
        reading: while true {
            try Task.checkCancellation()
            let wanted = filtersWhileReading ? StoreLimits.queryPageItems : skip + limit - items.count + 1
            request.limit = min(max(wanted, 1), StoreLimits.queryPageItems)
            let page = try await session.query(request)
            if filtersWhileReading { try scanned(page.items.count, session) }
            let current = try await currentItems(page.items, session)
            if isGlobal && firstPage {
                recent = try await RecentIndexEntries.load(
                    request, table: definition, tenant: tenantPartition, session: session,
                    read: (page.items, current), belongs: matches)
            }
            firstPage = false
            for (offset, entry) in page.items.enumerated() {
                while let item = recent?.next(before: entry) {
                    if keep(item, at: item) { break reading }
                }
                if recent?.supersedes(entry) == true { continue }
                guard let item = current[offset], matches(item) else { continue }
                if keep(item, at: entry) { break reading }
                if items.count == limit && offset == page.items.count - 1 && page.lastEvaluatedKey != nil {
                    lastKey = lastEntry.map(key(of:))
                    break reading
                }
            }
            guard let next = page.lastEvaluatedKey else {
                while let item = recent?.next(before: nil) {
                    if keep(item, at: item) { break reading }
                }
                break
            }
            request.exclusiveStartKey = next
        }
        var total: Int?
        if countTotal { total = try await count(session) }
        return QueryOutcome(items: items, lastEvaluatedKey: lastKey, total: total)
    }

    /// The items of a page as they are now: the page's own for the table and local indexes
    /// (strongly consistent), read again by key for a global index.
    private func currentItems(_ page: [Item], _ session: StoreSession) async throws -> [Item?] {
        guard isGlobal else { return page }
        return try await session.currentItems(of: page, in: definition)
    }

    private func count(_ session: StoreSession) async throws -> Int {
        let request = QueryRequest(
            table: table, index: index, partition: partition, sortCondition: sortCondition)
        guard filtersWhileReading else { return try await session.count(request) }
        // Filters on unindexed fields: count the matches while reading.
        var total = 0
        var cursor: Item?
        repeat {
            try Task.checkCancellation()
            var page = request
            page.exclusiveStartKey = cursor
            let result = try await session.query(page)
            try scanned(result.items.count, session)
            total += try await currentItems(result.items, session).filter { $0.map(matches) ?? false }.count
            cursor = result.lastEvaluatedKey
        } while cursor != nil
        return total
    }
}

/// A declared list filter with the value a request gives it.
struct DeclaredFilter: Sendable {
    let definition: ListFilterDefinition
    let values: [ItemValue]

    init(_ definition: ListFilterDefinition, _ argument: JSONValue) throws(AMEError) {
        self.definition = definition
        let elements =
            definition.match == .oneOf ? (argument.arrayValue.isEmpty ? [argument] : argument.arrayValue) : [argument]
        var values: [ItemValue] = []
        for element in elements {
            switch element {
            case .string(let text): values.append(.string(text))
            case .int(let number): values.append(.number(String(number)))
            case .double(let number): values.append(ItemValue.number(number))
            case .bool(let flag): values.append(.bool(flag))
            default:
                throw AMEError.badUserInput(
                    "`\(definition.argument)` must be \(definition.match == .oneOf ? "a list of scalars" : "a scalar")",
                    field: definition.argument)
            }
        }
        self.values = values
    }

    var scope: String {
        "|\(definition.argument):" + values.map(AttributeText.of).joined(separator: ",")
    }

    func matches(_ item: Item) -> Bool {
        let stored = item[definition.attribute]
        switch definition.match {
        case .equals, .oneOf:
            return values.contains { WritePath.sameValue(stored, $0) }
        case .member:
            guard case .list(let elements)? = stored else { return false }
            return values.allSatisfy { wanted in elements.contains { WritePath.sameValue($0, wanted) } }
        case .contains:
            guard case .string(let text)? = values.first else { return false }
            return Self.contains(stored, text)
        }
    }

    /// Whether a string, or any string inside a map or list, contains `text`.
    private static func contains(_ value: ItemValue?, _ text: String) -> Bool {
        switch value {
        case .string(let stored)?: stored.contains(text)
        case .map(let map)?: map.values.contains { contains($0, text) }
        case .list(let elements)?: elements.contains { contains($0, text) }
        default: false
        }
    }
}

/// A stable text form of a stored value, for token scopes.
enum AttributeText {
    static func of(_ value: ItemValue) -> String {
        switch value {
        case .string(let text): "s:" + text
        case .number(let text): "n:" + (Double(text).map { String($0) } ?? text)
        case .bool(let flag): "b:\(flag)"
        default: "j:" + value.json.jsonText
        }
    }
}
