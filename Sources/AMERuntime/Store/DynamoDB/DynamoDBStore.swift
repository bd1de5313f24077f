import AsyncHTTPClient
import Foundation
import Synchronization

/// The DynamoDB backend of ``Store``: any number of stateless `ame serve` instances can share it.
///
/// Reads of the table and of local indexes are strongly consistent, as the embedded store's are.
public final class DynamoDBStore: Store {
    let client: DynamoDBClient
    private let tables: Mutex<[String: TableDefinition]>

    /// - Parameter tables: the definitions of the tables this store will be asked about (the
    ///   schema's); `createTable` adds to them.
    /// - Parameter metrics: where throttled attempts are counted (the engine's, in a server).
    public init(
        configuration: DynamoDBConfiguration, tables: [TableDefinition], httpClient: HTTPClient = .shared,
        metrics: RuntimeMetrics = RuntimeMetrics()
    ) {
        client = DynamoDBClient(configuration: configuration, httpClient: httpClient, metrics: metrics)
        self.tables = Mutex(Dictionary(tables.map { ($0.name, $0) }, uniquingKeysWith: { $1 }))
    }

    private func definition(_ name: String) throws -> TableDefinition {
        guard let table = tables.withLock({ $0[name] }) else { throw StoreError.unknownTable(name) }
        return table
    }

    /// Maps DynamoDB's errors onto ``StoreError`` with messages that say what to do.
    private func call(_ operation: String, _ payload: JSONValue, table: String? = nil) async throws -> JSONValue {
        do {
            let response = try await client.send(operation, payload)
            Self.reportConsumedCapacity(response, operation: operation)
            return response
        } catch let error as DynamoDBServiceError {
            switch error.type {
            case "ResourceNotFoundException":
                throw StoreError.unknownTable(table ?? error.message)
            case "ValidationException", "SerializationException":
                throw StoreError.invalidRequest("\(operation): \(error.message)")
            default:
                throw error.isRetryable
                    ? StoreError.unavailable("\(operation): \(error.type)")
                    : StoreError.invalidRequest("\(operation): \(error)")
            }
        }
    }

    // MARK: Tables

    /// The CreateTable request of `table` (on demand, its indexes): what `createTable` sends, and
    /// the properties of the `AWS::DynamoDB::Table` that `ame tables template` prints.
    public static func createTableRequest(_ table: TableDefinition) -> JSONObject {
        var attributes: [String: String] = [table.partitionAttribute: "S", table.sortAttribute: "S"]
        var local: [JSONValue] = []
        var global: [JSONValue] = []
        for index in table.indexes {
            attributes[index.sortAttribute] = index.sortIsNumber ? "N" : "S"
            let projection: JSONValue =
                switch index.projection {
                case .all: ["ProjectionType": "ALL"]
                case .keysOnly: ["ProjectionType": "KEYS_ONLY"]
                case .include(let names):
                    ["ProjectionType": "INCLUDE", "NonKeyAttributes": .array(names.map(JSONValue.string))]
                }
            if let partition = index.partitionAttribute {
                attributes[partition] = "S"
                global.append([
                    "IndexName": .string(index.name),
                    "KeySchema": [
                        ["AttributeName": .string(partition), "KeyType": "HASH"],
                        ["AttributeName": .string(index.sortAttribute), "KeyType": "RANGE"],
                    ],
                    "Projection": projection,
                ])
            } else {
                local.append([
                    "IndexName": .string(index.name),
                    "KeySchema": [
                        ["AttributeName": .string(table.partitionAttribute), "KeyType": "HASH"],
                        ["AttributeName": .string(index.sortAttribute), "KeyType": "RANGE"],
                    ],
                    "Projection": projection,
                ])
            }
        }
        var request: JSONObject = [
            "TableName": .string(table.name),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": .array(
                attributes.keys.sorted().map {
                    ["AttributeName": .string($0), "AttributeType": .string(attributes[$0]!)]
                }),
            "KeySchema": [
                ["AttributeName": .string(table.partitionAttribute), "KeyType": "HASH"],
                ["AttributeName": .string(table.sortAttribute), "KeyType": "RANGE"],
            ],
        ]
        if !local.isEmpty { request["LocalSecondaryIndexes"] = .array(local) }
        if !global.isEmpty { request["GlobalSecondaryIndexes"] = .array(global) }
        return request
    }

    public func createTable(_ table: TableDefinition) async throws {
        tables.withLock { $0[table.name] = table }
        let request = Self.createTableRequest(table)
        do {
            _ = try await client.send("CreateTable", .object(request))
        } catch let error as DynamoDBServiceError where error.type == "ResourceInUseException" {
            // Already there: creating is idempotent.
        } catch let error as DynamoDBServiceError {
            throw StoreError.invalidRequest("CreateTable \(table.name): \(error.message)")
        }
        try await waitUntilActive(table.name)
    }

    private func waitUntilActive(_ name: String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(300)
        while clock.now < deadline {
            let description = try await call("DescribeTable", ["TableName": .string(name)], table: name)
            let table = description["Table"]
            let indexesActive =
                table?["GlobalSecondaryIndexes"].map { indexes in
                    if case .array(let list) = indexes { return list.allSatisfy { $0["IndexStatus"] == "ACTIVE" } }
                    return true
                } ?? true
            if table?["TableStatus"] == "ACTIVE" && indexesActive { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw StoreError.unavailable("table \(name) did not become ACTIVE within 5 minutes")
    }

    public func deleteTable(named name: String) async throws {
        do {
            _ = try await client.send("DeleteTable", ["TableName": .string(name)])
        } catch let error as DynamoDBServiceError where error.type == "ResourceNotFoundException" {
            return
        }
    }

    public func listTables() async throws -> [String] {
        var names: [String] = []
        var start: String?
        repeat {
            var request: JSONObject = ["Limit": 100]
            if let start { request["ExclusiveStartTableName"] = .string(start) }
            let response = try await call("ListTables", .object(request))
            if case .array(let list)? = response["TableNames"] { names += list.compactMap(\.stringValue) }
            start = response["LastEvaluatedTableName"]?.stringValue
        } while start != nil
        return names.sorted()
    }

    // MARK: Reads

    private func keyJSON(_ key: ItemKey, table: TableDefinition) -> JSONValue {
        [table.partitionAttribute: ["S": .string(key.partition)], table.sortAttribute: ["S": .string(key.sort)]]
    }

    public func getItem(table name: String, key: ItemKey) async throws -> Item? {
        let table = try definition(name)
        let response = try await call(
            "GetItem",
            [
                "TableName": .string(name), "Key": keyJSON(key, table: table), "ConsistentRead": true,
                "ReturnConsumedCapacity": "TOTAL",
            ],
            table: name)
        return try Self.decodeGetItem(response)
    }

    public func batchGetItem(_ keys: [TableKey]) async throws -> [TableKey: Item] {
        try StoreLimits.checkBatchGet(keys)
        var pending: [String: [ItemKey]] = [:]
        for key in keys { pending[key.table, default: []].append(key.key) }
        let definitions = try Dictionary(uniqueKeysWithValues: pending.keys.map { ($0, try definition($0)) })
        var result: [TableKey: Item] = Dictionary(minimumCapacity: keys.count)
        let clock = ContinuousClock()
        let deadline = clock.now + client.configuration.retry.deadline
        var attempt = 0
        // DynamoDB may return part of a batch as UnprocessedKeys: ask again for those until the
        // batch is complete, keeping what earlier attempts returned. Never silently drop a key.
        while !pending.isEmpty {
            attempt += 1
            var requestItems = JSONObject()
            for (table, tableKeys) in pending.sorted(by: { $0.key < $1.key }) {
                let definition = definitions[table]!
                requestItems[table] = [
                    "Keys": .array(tableKeys.map { keyJSON($0, table: definition) }), "ConsistentRead": true,
                ]
            }
            let response = try await call(
                "BatchGetItem", ["RequestItems": .object(requestItems), "ReturnConsumedCapacity": "TOTAL"])
            let (items, unprocessed) = try Self.decodeBatchGetItem(response, tables: definitions)
            result.merge(items) { _, new in new }
            pending = unprocessed
            if pending.isEmpty { break }
            let pause = client.configuration.retry.delay(attempt: attempt)
            guard clock.now + pause < deadline else {
                let count = pending.values.reduce(0) { $0 + $1.count }
                throw StoreError.unavailable("BatchGetItem left \(count) keys unprocessed until the deadline")
            }
            try await Task.sleep(for: pause)
        }
        return result
    }

    public func query(_ request: QueryRequest) async throws -> QueryPage {
        guard request.limit > 0 else { throw StoreError.invalidRequest("Query limit must be positive") }
        let table = try definition(request.table)
        var partitionAttribute = table.partitionAttribute
        var sortAttribute = table.sortAttribute
        var consistent = true
        if let indexName = request.index {
            guard let index = table.index(named: indexName) else {
                throw StoreError.unknownIndex(table: request.table, index: indexName)
            }
            sortAttribute = index.sortAttribute
            if let partition = index.partitionAttribute {
                partitionAttribute = partition
                consistent = false  // Global indexes are eventually consistent.
            }
        }
        var names: JSONObject = ["#p": .string(partitionAttribute)]
        var values: JSONObject = [":p": AttributeValueJSON.encode(request.partition)]
        var expression = "#p = :p"
        if let condition = request.sortCondition {
            names["#s"] = .string(sortAttribute)
            switch condition {
            case .equals(let value):
                expression += " AND #s = :s"
                values[":s"] = AttributeValueJSON.encode(value)
            case .lessThan(let value):
                expression += " AND #s < :s"
                values[":s"] = AttributeValueJSON.encode(value)
            case .lessThanOrEqual(let value):
                expression += " AND #s <= :s"
                values[":s"] = AttributeValueJSON.encode(value)
            case .greaterThan(let value):
                expression += " AND #s > :s"
                values[":s"] = AttributeValueJSON.encode(value)
            case .greaterThanOrEqual(let value):
                expression += " AND #s >= :s"
                values[":s"] = AttributeValueJSON.encode(value)
            case .between(let low, let high):
                expression += " AND #s BETWEEN :s AND :t"
                values[":s"] = AttributeValueJSON.encode(low)
                values[":t"] = AttributeValueJSON.encode(high)
            case .beginsWith(let prefix):
                expression += " AND begins_with(#s, :s)"
                values[":s"] = ["S": .string(prefix)]
            }
        }
        var payload: JSONObject = [
            "TableName": .string(request.table),
            "KeyConditionExpression": .string(expression),
            "ExpressionAttributeNames": .object(names),
            "ExpressionAttributeValues": .object(values),
            "ScanIndexForward": .bool(request.scanForward),
            "ConsistentRead": .bool(consistent),
            "ReturnConsumedCapacity": "TOTAL",
        ]
        if let index = request.index { payload["IndexName"] = .string(index) }
        if request.countOnly {
            payload["Select"] = "COUNT"
        } else {
            payload["Limit"] = .int(request.limit)
        }
        if let start = request.exclusiveStartKey { payload["ExclusiveStartKey"] = AttributeValueJSON.encode(start) }
        let response = try await call("Query", .object(payload), table: request.table)
        return try Self.decodeQuery(response, countOnly: request.countOnly)
    }

    // MARK: Writes

    public func transactWriteItems(_ actions: [WriteAction]) async throws {
        guard !actions.isEmpty else { return }
        try StoreLimits.checkTransaction(actions)
        var items: [JSONValue] = []
        for action in actions {
            let table = try definition(action.table)
            switch action {
            case .put(let name, let item, let condition):
                var put: JSONObject = ["TableName": .string(name), "Item": AttributeValueJSON.encode(item)]
                if let condition { Self.add(condition, to: &put, table: table) }
                items.append(["Put": .object(put)])
            case .delete(let name, let key, let condition):
                var delete: JSONObject = ["TableName": .string(name), "Key": keyJSON(key, table: table)]
                if let condition { Self.add(condition, to: &delete, table: table) }
                items.append(["Delete": .object(delete)])
            case .conditionCheck(let name, let key, let condition):
                var check: JSONObject = ["TableName": .string(name), "Key": keyJSON(key, table: table)]
                Self.add(condition, to: &check, table: table)
                items.append(["ConditionCheck": .object(check)])
            }
        }
        // The same token on every retry makes a resent transaction idempotent (for 10 minutes).
        let token = UUID().uuidString
        do {
            let response = try await client.send(
                "TransactWriteItems",
                [
                    "TransactItems": .array(items), "ClientRequestToken": .string(token),
                    "ReturnConsumedCapacity": "TOTAL",
                ])
            Self.reportConsumedCapacity(response, operation: "TransactWriteItems")
        } catch let error as DynamoDBServiceError where error.type == "TransactionCanceledException" {
            if case .array(let reasons)? = error.body["CancellationReasons"],
                let index = reasons.firstIndex(where: { $0["Code"] == "ConditionalCheckFailed" })
            {
                throw StoreError.conditionFailed(index: index)
            }
            throw StoreError.unavailable("the transaction was cancelled: \(error.message)")
        } catch let error as DynamoDBServiceError where error.type == "ValidationException" {
            throw StoreError.invalidRequest("TransactWriteItems: \(error.message)")
        } catch let error as DynamoDBServiceError where error.type == "ResourceNotFoundException" {
            throw StoreError.unknownTable(actions.first?.table ?? "")
        } catch let error as DynamoDBServiceError {
            throw StoreError.unavailable("TransactWriteItems: \(error.type)")
        }
    }

    public func batchWriteItem(_ requests: [BatchWriteRequest]) async throws {
        guard !requests.isEmpty else { return }
        try StoreLimits.checkBatchWrite(requests)
        var pending = JSONObject()
        for request in requests {
            let table = try definition(request.table)
            let entry: JSONValue =
                switch request {
                case .put(_, let item): ["PutRequest": ["Item": AttributeValueJSON.encode(item)]]
                case .delete(_, let key): ["DeleteRequest": ["Key": keyJSON(key, table: table)]]
                }
            var list = pending[request.table]?.arrayValue ?? []
            list.append(entry)
            pending[request.table] = .array(list)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + client.configuration.retry.deadline
        var attempt = 0
        // Requests DynamoDB leaves in UnprocessedItems are sent again until none is left.
        while !pending.isEmpty {
            attempt += 1
            let response = try await call(
                "BatchWriteItem", ["RequestItems": .object(pending), "ReturnConsumedCapacity": "TOTAL"])
            pending = JSONObject()
            if case .object(let unprocessed)? = response["UnprocessedItems"] {
                for (table, entries) in unprocessed.pairs where !(entries.arrayValue.isEmpty) {
                    pending[table] = entries
                }
            }
            if pending.isEmpty { break }
            let pause = client.configuration.retry.delay(attempt: attempt)
            guard clock.now + pause < deadline else {
                let count = pending.values.reduce(0) { $0 + $1.arrayValue.count }
                throw StoreError.unavailable("BatchWriteItem left \(count) requests unprocessed until the deadline")
            }
            try await Task.sleep(for: pause)
        }
    }

    /// Adds a ``WriteCondition`` as a ConditionExpression with its names and values.
    static func add(_ condition: WriteCondition, to object: inout JSONObject, table: TableDefinition) {
        var names = JSONObject()
        var values = JSONObject()
        func render(_ condition: WriteCondition) -> String {
            switch condition {
            case .exists:
                names["#pk"] = .string(table.partitionAttribute)
                return "attribute_exists(#pk)"
            case .notExists:
                names["#pk"] = .string(table.partitionAttribute)
                return "attribute_not_exists(#pk)"
            case .attributeEquals(let name, let value):
                let index = names.count
                names["#a\(index)"] = .string(name)
                values[":v\(index)"] = AttributeValueJSON.encode(value)
                return "#a\(index) = :v\(index)"
            case .all(let conditions):
                return conditions.map { "(\(render($0)))" }.joined(separator: " AND ")
            }
        }
        object["ConditionExpression"] = .string(render(condition))
        object["ExpressionAttributeNames"] = .object(names)
        if !values.isEmpty { object["ExpressionAttributeValues"] = .object(values) }
    }
}

/// How the store reads DynamoDB's answers; static, so the fuzz targets (`Fuzz/`) decode an answer
/// exactly as the store does.
extension DynamoDBStore {
    /// The JSON of an answer's body, as the client reads every one (`null` when it is not JSON,
    /// such as a proxy's error page).
    package static func responseJSON(_ body: [UInt8]) -> JSONValue {
        (try? JSONValue.parse(bytes: body)) ?? .null
    }

    /// The capacity an answer says its request consumed (`ConsumedCapacity`, one object or one per
    /// table), reported to the call under way (``CapacityMeter``): read units for reads, write
    /// units for writes, unless the answer says which.
    static func consumedCapacity(_ response: JSONValue, operation: String) -> CapacityUnits? {
        let entries: [JSONValue]
        switch response["ConsumedCapacity"] {
        case .array(let list)?: entries = list
        case let entry? where !entry.isNull: entries = [entry]
        default: return nil
        }
        let writes = operation.hasPrefix("Transact") || operation.hasPrefix("BatchWrite") || operation.hasSuffix("Put")
        var units = CapacityUnits.zero
        for entry in entries {
            let total = entry["CapacityUnits"]?.doubleValue ?? 0
            units.read += entry["ReadCapacityUnits"]?.doubleValue ?? (writes ? 0 : total)
            units.write += entry["WriteCapacityUnits"]?.doubleValue ?? (writes ? total : 0)
        }
        return units
    }

    static func reportConsumedCapacity(_ response: JSONValue, operation: String) {
        if let units = consumedCapacity(response, operation: operation) { CapacityMeter.report(units) }
    }

    /// The item of a GetItem answer, `nil` when there is none.
    package static func decodeGetItem(_ response: JSONValue) throws -> Item? {
        guard let item = response["Item"], !item.isNull else { return nil }
        return try AttributeValueJSON.decodeItem(item)
    }

    /// The items of a BatchGetItem answer by key, and its `UnprocessedKeys`, for the tables of
    /// `tables` (an item or key of another table, or without its key attributes, is left out).
    package static func decodeBatchGetItem(
        _ response: JSONValue, tables definitions: [String: TableDefinition]
    ) throws -> (items: [TableKey: Item], unprocessed: [String: [ItemKey]]) {
        var result: [TableKey: Item] = [:]
        if case .object(let responses)? = response["Responses"] {
            for (table, items) in responses.pairs {
                guard let definition = definitions[table], case .array(let list) = items else { continue }
                for json in list {
                    let item = try AttributeValueJSON.decodeItem(json)
                    guard case .string(let partition)? = item[definition.partitionAttribute],
                        case .string(let sort)? = item[definition.sortAttribute]
                    else { continue }
                    result[TableKey(table: table, key: ItemKey(partition: partition, sort: sort))] = item
                }
            }
        }
        var unprocessed: [String: [ItemKey]] = [:]
        if case .object(let tables)? = response["UnprocessedKeys"] {
            for (table, entry) in tables.pairs {
                guard let definition = definitions[table], case .array(let list)? = entry["Keys"] else { continue }
                for json in list {
                    let key = try AttributeValueJSON.decodeItem(json)
                    guard case .string(let partition)? = key[definition.partitionAttribute],
                        case .string(let sort)? = key[definition.sortAttribute]
                    else { continue }
                    unprocessed[table, default: []].append(ItemKey(partition: partition, sort: sort))
                }
            }
        }
        return (result, unprocessed)
    }

    /// The page of a Query answer: its items (or only its `Count`) and where the next page starts.
    package static func decodeQuery(_ response: JSONValue, countOnly: Bool) throws -> QueryPage {
        var items: [Item] = []
        if case .array(let list)? = response["Items"] { items = try list.map(AttributeValueJSON.decodeItem) }
        let lastKey = try response["LastEvaluatedKey"].flatMap {
            $0.isNull ? nil : try AttributeValueJSON.decodeItem($0)
        }
        return QueryPage(
            items: items, count: countOnly ? response["Count"]?.intValue ?? 0 : items.count, lastEvaluatedKey: lastKey)
    }
}
