import Foundation

/// The runtime's own API over its tables, present in every schema: versions of dynamic
/// attributes (`attributeValue…`), the audit trail (`activityHistory…`) and presigned uploads,
/// with the original API's arguments.
enum SystemRoot: String, CaseIterable {
    case attributeValue
    case attributeValueList
    case activityHistory
    case activityHistoryList
    case presignedUploadUrl
    case insertUpdateAttributeValue
    case deleteAttributeValue
    case insertActivityHistory
    case deleteActivityHistory

    /// Whether the field answers a page, whose records repeat up to its `limit`.
    var answersPage: Bool { self == .attributeValueList || self == .activityHistoryList }
}

/// What a system root field resolves to; the field's selection is then applied to it through the
/// plan of the system record's fields (``SystemFieldDefinition``).
enum SystemAnswer {
    case record(Item)
    case page(items: [Item], pageSize: Int, pageNumber: Int?, total: Int?, nextToken: String?)
    case written(Item?)
    case deleted
}

/// The conversions of stored values that system records answer with.
enum SystemRecords {
    /// A record's time in whole seconds: a stored number (the original's layout) or ISO 8601 text.
    static func seconds(_ value: ItemValue?) -> Int64? {
        switch value {
        case .number(let text)?: Int64(text) ?? Double(text).map { Int64($0.rounded(.down)) }
        case .string(let text)?: DateTimeText.secondsSince1970(text)
        default: nil
        }
    }

    /// `AttributeValueType.value` is a String: a string as it is, other values as JSON text.
    static func valueText(_ value: ItemValue) -> JSONValue {
        switch value {
        case .null: .null
        case .string(let text): .string(text)
        case .number(let text): .string(text)
        case .bool(let flag): .string(flag ? "true" : "false")
        default: .string(value.json.jsonText)
        }
    }
}

extension Execution {
    /// Resolves a system root field and applies the query's selection to it.
    func resolveSystemField(_ root: SystemRoot, _ field: CollectedField, into object: ResultObject, slot: Int) async {
        do {
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            let children = try collector.collectChildren(of: field)
            let answer = try await resolveSystem(root, arguments, wantsTotal: children.selectsTotal)
            object.values[slot] = try select(answer, children, path: [.string(field.responseKey)])
        } catch {
            report(error, path: [.string(field.responseKey)], field: field)
        }
    }

    /// Applies a selection to what a system root field resolved to.
    private func select(
        _ answer: SystemAnswer, _ fields: [CollectedField], path: [JSONValue]
    ) throws(AMEError) -> ResultValue {
        if case .record(let item) = answer { return record(item, fields, path: path) }
        let object = ResultObject(capacity: fields.count)
        for field in fields {
            let value: ResultValue
            switch (field.plan, answer) {
            case (.typename(let name), _): value = .json(.string(name))
            case (.items, .page(let items, _, _, _, _)):
                let children = try collector.collectChildren(of: field)
                let itemsPath = path + [.string(field.responseKey)]
                value = .list(
                    items.enumerated().map { index, item in
                        record(item, children, path: itemsPath + [.int(index)])
                    })
            case (.pageSize, .page(_, let pageSize, _, _, _)): value = .json(.int(pageSize))
            case (.pageNumber, .page(_, _, let pageNumber, _, _)): value = .json(pageNumber.map(JSONValue.int) ?? .null)
            case (.total, .page(_, _, _, let total, _)): value = .json(total.map(JSONValue.int) ?? .null)
            case (.nextToken, .page(_, _, _, _, let token)): value = .json(token.map(JSONValue.string) ?? .null)
            case (.written, .written(let item?)):
                value = record(
                    item, try collector.collectChildren(of: field), path: path + [.string(field.responseKey)])
            case (.ok, .deleted): value = .json(.bool(true))
            case (.unresolved(let type, let name), _):
                report(
                    AMEError.unresolvedField(type: type, field: name), path: path + [.string(field.responseKey)],
                    field: field)
                value = .null
            default: value = .null
            }
            object.append(field.responseKey, value)
        }
        return .object(object)
    }

    /// A stored record with its selected fields, each from its stored attribute.
    private func record(_ item: Item, _ fields: [CollectedField], path: [JSONValue]) -> ResultValue {
        let object = ResultObject(capacity: fields.count)
        for field in fields {
            switch field.plan {
            case .typename(let name): object.append(field.responseKey, .json(.string(name)))
            case .stored(let definition):
                let stored = item[definition.attribute] ?? definition.fallback.flatMap { item[$0] }
                object.append(field.responseKey, .json(definition.conversion.answer(stored)))
            case .unresolved(let type, let name):
                report(
                    AMEError.unresolvedField(type: type, field: name), path: path + [.string(field.responseKey)],
                    field: field)
                object.append(field.responseKey, .null)
            default: object.append(field.responseKey, .null)
            }
        }
        return .object(object)
    }

    /// The data type and attribute an `attributeValue…` field names: `dataTypeAttributeName`
    /// (`contact-department`, split at its first `-`: data types have none), or `dataType` and
    /// `attributeName`. Giving both forms is accepted when they agree.
    private func attributeName(_ arguments: [String: JSONValue]) throws(AMEError) -> (String?, String?) {
        var dataType = arguments["dataType"]?.stringValue
        var attribute = arguments["attributeName"]?.stringValue
        if let combined = arguments["dataTypeAttributeName"]?.stringValue {
            guard let dash = combined.firstIndex(of: "-"), dash != combined.startIndex,
                combined.index(after: dash) != combined.endIndex
            else {
                throw AMEError.badUserInput(
                    "`dataTypeAttributeName` must be `<dataType>-<attributeName>`, e.g. `contact-department`",
                    field: "dataTypeAttributeName")
            }
            let (givenType, givenAttribute) = (
                String(combined[..<dash]), String(combined[combined.index(after: dash)...])
            )
            guard dataType.map({ $0 == givenType }) ?? true, attribute.map({ $0 == givenAttribute }) ?? true else {
                throw AMEError.badUserInput(
                    "`dataTypeAttributeName` disagrees with `dataType`/`attributeName`; give one form",
                    field: "dataTypeAttributeName")
            }
            (dataType, attribute) = (givenType, givenAttribute)
        }
        return (dataType, attribute)
    }

    /// Resolves a system root field to its JSON value (queries and mutations alike).
    func resolveSystem(
        _ root: SystemRoot, _ arguments: [String: JSONValue], wantsTotal: Bool = false
    ) async throws -> SystemAnswer {
        let writer = WritePath(engine: engine, tenant: tenant, session: session)
        let values = engine.registry.physicalTable(RuntimeTables.attributeValues)
        let history = engine.registry.physicalTable(RuntimeTables.activityHistory)
        let partition = ItemValue.string(tenant.partitionKey)
        func string(_ name: String) throws(AMEError) -> String {
            guard let value = arguments[name]?.stringValue, !value.isEmpty else {
                throw AMEError.badUserInput("`\(name)` is required", field: name)
            }
            return value
        }
        let limit = arguments["limit"]?.intValue ?? engine.limits.defaultPageSize
        guard limit > 0, limit <= engine.limits.maxPageSize else {
            throw AMEError.badUserInput("`limit` must be between 1 and \(engine.limits.maxPageSize)", field: "limit")
        }
        /// The records of `id` in the second `timestamp` (the original's key of a record).
        func records(id: String, timestamp: Int) async throws -> [Item] {
            let prefix =
                RuntimeTables.activityHistoryKeyPrefix(id: id)
                + DateTimeText.secondPrefix(secondsSince1970: Int64(timestamp))
            let page = try await session.query(
                QueryRequest(table: history, partition: partition, sortCondition: .beginsWith(prefix)))
            return page.items.filter { SystemRecords.seconds($0["timestamp"]) == Int64(timestamp) }
        }
        switch root {
        case .attributeValue:
            let version = try string("valueVersionUuid")
            let (dataType, attribute) = try attributeName(arguments)
            guard let item = try await writer.findVersion(version),
                dataType.map({ item["data_type"]?.stringValue == $0 }) ?? true,
                attribute.map({ item["attribute_name"]?.stringValue == $0 }) ?? true
            else { throw AMEError.entityNotFound(type: "AttributeValue", key: version) }
            return .record(item)
        case .attributeValueList:
            let (dataType, attribute) = try attributeName(arguments)
            let identity = arguments["dataIdentity"]?.stringValue
            // The longest key prefix the arguments fix; what they leave open is filtered while reading.
            let prefix =
                if let dataType, let identity {
                    RuntimeTables.versionKeyPrefix(dataType: dataType, id: identity, attribute: attribute)
                } else {
                    RuntimeTables.versionKeyPrefix(dataType: dataType)
                }
            let value = arguments["value"]?.stringValue
            var statuses = arguments["statuses"]?.arrayValue.compactMap(\.stringValue)
            if let status = arguments["status"]?.stringValue { statuses = (statuses ?? []) + [status] }
            let wanted = statuses
            let scope =
                "attributeValues:\(prefix)|\(identity ?? "")|\(attribute ?? "")|\(value ?? "")|\((wanted ?? []).sorted().joined(separator: ","))"
            // The arguments the key prefix leaves open, tested on every item read.
            let servedByKey = dataType != nil && identity != nil
            var filtered: [String] = []
            if identity != nil && !servedByKey { filtered.append("dataIdentity") }
            if attribute != nil && !servedByKey { filtered.append("attributeName") }
            if value != nil { filtered.append("value") }
            if wanted != nil { filtered.append(arguments["statuses"] != nil ? "statuses" : "status") }
            return try await page(
                QueryRequest(table: values, partition: partition, sortCondition: .beginsWith(prefix)),
                limit: limit, scope: scope, arguments: arguments, wantsTotal: wantsTotal, filtered: filtered,
                matches: { item in
                    (identity.map { item["data_identity"]?.stringValue == $0 } ?? true)
                        && (attribute.map { item["attribute_name"]?.stringValue == $0 } ?? true)
                        && (value.map { SystemRecords.valueText(item["value"] ?? .null).stringValue == $0 } ?? true)
                        && (wanted.map { $0.contains(item["status"]?.stringValue ?? "") } ?? true)
                })
        case .activityHistory:
            let id = try string("id")
            guard let timestamp = arguments["timestamp"]?.intValue else {
                throw AMEError.badUserInput("`timestamp` is required", field: "timestamp")
            }
            guard let item = try await records(id: id, timestamp: timestamp).first else {
                throw AMEError.entityNotFound(type: "ActivityHistory", key: "\(id) at \(timestamp)")
            }
            return .record(item)
        case .activityHistoryList:
            let from = arguments["from"]?.stringValue ?? ""
            let to = (arguments["to"]?.stringValue ?? "9999") + "\u{10FFFF}"
            // `type` and `activityType` name one type, `activityTypes` several: a record matches any.
            var types = arguments["activityTypes"]?.arrayValue.compactMap(\.stringValue) ?? []
            for name in ["type", "activityType"] {
                if let type = arguments[name]?.stringValue { types.append(type) }
            }
            let typeSet = Set(types)
            let log = arguments["log"]?.stringValue
            let request: QueryRequest
            let id = arguments["id"]?.stringValue
            // The arguments neither the key nor `type-index` serves, tested on every item read.
            var filtered = log == nil ? [] : ["log"]
            let typeArguments = ["type", "activityType", "activityTypes"].filter { arguments[$0] != nil }
            if id != nil || typeSet.count > 1 { filtered += typeArguments }
            if id == nil && typeSet.count != 1 {
                filtered += ["from", "to"].filter { arguments[$0] != nil }
            }
            if let id {
                request = QueryRequest(
                    table: history, partition: partition,
                    sortCondition: .between(
                        .string(RuntimeTables.activityHistoryKeyPrefix(id: id) + from),
                        .string(RuntimeTables.activityHistoryKeyPrefix(id: id) + to)))
            } else if typeSet.count == 1, let type = typeSet.first {
                request = QueryRequest(
                    table: history, index: RuntimeTables.typeIndex, partition: partition,
                    sortCondition: .between(
                        .string(RuntimeTables.typeTimestampFor(type: type, timestamp: from)),
                        .string(RuntimeTables.typeTimestampFor(type: type, timestamp: to))))
            } else {
                request = QueryRequest(table: history, partition: partition)
            }
            let scope =
                "activityHistory:\(id ?? "")|\(typeSet.sorted().joined(separator: ","))|\(log ?? "")|\(from)|\(to)"
            return try await page(
                request, limit: limit, scope: scope, arguments: arguments, wantsTotal: wantsTotal, filtered: filtered,
                matches: { item in
                    guard let time = item["timestamp"]?.stringValue ?? item["updated_at"]?.stringValue else {
                        return false
                    }
                    return time >= from && time <= to
                        && (typeSet.isEmpty || typeSet.contains(item["type"]?.stringValue ?? ""))
                        && (log.map { (item["log"]?.stringValue ?? "").contains($0) } ?? true)
                })
        case .presignedUploadUrl:
            let objectKey = try string("objectKey")
            guard objectKey.utf8.count <= Self.maxObjectKeyBytes else {
                throw AMEError.badUserInput(
                    "`objectKey` is \(objectKey.utf8.count) bytes; S3 keys are at most \(Self.maxObjectKeyBytes)",
                    field: "objectKey")
            }
            guard let signer = engine.uploadSigner else {
                throw AMEError.notConfigured(
                    "presigned uploads are not configured on this server: no upload bucket is set (see docs/OPERATIONS.md)"
                )
            }
            let upload = try signer.presignedUpload(objectKey: objectKey, tenant: tenant, now: Date())
            return .record([
                "url": .string(upload.url), "object_key": .string(upload.objectKey),
                "expiration": .number(String(upload.expiration)),
            ])
        case .insertUpdateAttributeValue:
            let identity = try string("dataIdentity")
            let (dataType, attribute) = try attributeName(arguments)
            guard let dataType, let attribute else {
                throw AMEError.badUserInput(
                    "`dataTypeAttributeName` (or `dataType` and `attributeName`) is required",
                    field: "dataTypeAttributeName")
            }
            if arguments["status"]?.stringValue == "inactive" {
                throw AMEError.badUserInput(
                    "a written value becomes the active version; to retire a version, delete it with `deleteAttributeValue`",
                    field: "status")
            }
            var value = arguments["value"].flatMap { $0.isNull ? nil : $0 } ?? arguments["jsonValue"]
            if let version = arguments["valueVersionUuid"]?.stringValue {
                // Naming an existing version (re)activates it, or replaces its value when one is given.
                guard let item = try await writer.findVersion(version), item["data_type"]?.stringValue == dataType,
                    item["data_identity"]?.stringValue == identity, item["attribute_name"]?.stringValue == attribute
                else { throw AMEError.entityNotFound(type: "AttributeValue", key: version) }
                if value == nil { value = item["value"]?.json }
            }
            guard let value else {
                throw AMEError.badUserInput("`value` is required", field: "value")
            }
            let item = try await writer.upsertAttribute(
                dataType: dataType, identity: identity, attribute: attribute, value: value,
                updatedBy: try string("updatedBy"))
            return .written(item)
        case .deleteAttributeValue:
            let version = try string("valueVersionUuid")
            let (dataType, attribute) = try attributeName(arguments)
            if dataType != nil || attribute != nil {
                guard let item = try await writer.findVersion(version),
                    dataType.map({ item["data_type"]?.stringValue == $0 }) ?? true,
                    attribute.map({ item["attribute_name"]?.stringValue == $0 }) ?? true
                else { throw AMEError.entityNotFound(type: "AttributeValue", key: version) }
            }
            try await writer.deleteAttributeVersion(
                version, updatedBy: arguments["updatedBy"]?.stringValue ?? "unknown")
            return .deleted
        case .insertActivityHistory:
            let item = try await writer.insertHistory(
                id: try string("id"), type: arguments["type"]?.stringValue, log: arguments["log"]?.stringValue ?? "",
                diff: arguments["dataDiff"] ?? .null, updatedBy: try string("updatedBy"))
            return .written(item)
        case .deleteActivityHistory:
            let id = try string("id")
            guard let timestamp = arguments["timestamp"]?.intValue else {
                throw AMEError.badUserInput("`timestamp` is required", field: "timestamp")
            }
            let found = try await records(id: id, timestamp: timestamp)
            guard !found.isEmpty else {
                throw AMEError.entityNotFound(type: "ActivityHistory", key: "\(id) at \(timestamp)")
            }
            try await writer.deleteHistory(found)
            return .deleted
        }
    }

    /// S3's limit on an object key.
    static let maxObjectKeyBytes = 1024

    /// One page of a system list, read until full (filters apply while reading): by `nextToken`,
    /// or by `pageNumber` (the matches from `(pageNumber − 1) × limit + 1` on). `total` counts
    /// every match, and is computed (reading to the end) only when selected.
    /// A page of a system list: the items `request` reads that `matches` accepts. The items read
    /// to be tested by `filtered` (the arguments the Query's key condition leaves open) count
    /// against the request's scan budget (`AME_MAX_SCAN_ITEMS`), as an entity list's do.
    private func page(
        _ request: QueryRequest, limit: Int, scope: String, arguments: [String: JSONValue],
        wantsTotal: Bool, filtered: [String], matches: @Sendable (Item) -> Bool
    ) async throws -> SystemAnswer {
        var request = request
        var pageNumber: Int?
        var skip = 0
        if let token = arguments["nextToken"]?.stringValue {
            request.exclusiveStartKey = try engine.pageTokens.decode(token, tenant: tenant, scope: scope)
        } else {
            let number = arguments["pageNumber"]?.intValue ?? 1
            guard number >= 1 else {
                throw AMEError.badUserInput("`pageNumber` must be 1 or more", field: "pageNumber")
            }
            let product = (number - 1).multipliedReportingOverflow(by: limit)
            guard !product.overflow else {
                throw AMEError.badUserInput("`pageNumber` × `limit` is too large", field: "pageNumber")
            }
            pageNumber = number
            skip = product.partialValue
        }
        var items: [Item] = []
        var lastKey: Item?
        var total = 0
        let table = engine.registry.tableDefinitions.first { $0.name == request.table }
        reading: while true {
            request.limit = StoreLimits.queryPageItems
            let page = try await session.query(request)
            if !filtered.isEmpty {
                try session.scanned(
                    page.items.count, budget: engine.limits.maxScanItems, filters: filtered, index: nil)
            }
            // Only audit records are listed through an index (`type-index`), and they are never
            // changed: an entry matches as its record does, so only matches are read again by key
            // (through a global index, which may still list a record deleted a moment ago).
            let entries = try await session.currentItems(of: page.items.filter(matches), readBy: request)
            for item in entries where matches(item) {
                total += 1
                if skip > 0 {
                    skip -= 1
                    continue
                }
                if items.count == limit {
                    if lastKey == nil { lastKey = table?.key(of: items[items.count - 1], index: request.index) ?? [:] }
                    if wantsTotal { continue }
                    break reading
                }
                items.append(item)
            }
            guard let next = page.lastEvaluatedKey else { break }
            request.exclusiveStartKey = next
        }
        let token = lastKey.map { engine.pageTokens.encode($0, tenant: tenant, scope: scope) }
        return .page(
            items: items, pageSize: limit, pageNumber: pageNumber, total: wantsTotal && pageNumber != nil ? total : nil,
            nextToken: token)
    }
}
