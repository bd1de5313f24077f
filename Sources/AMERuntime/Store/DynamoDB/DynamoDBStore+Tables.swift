import Foundation

/// What DynamoDB says about existing tables, and Scan: the reads a migration makes of tables that
/// are not in AME's layout (any key schema), and the check of AME's own tables before use.
extension DynamoDBStore {
    /// Where the store sends its requests.
    public var endpoint: URL { client.configuration.endpoint }

    /// DescribeTable: the table's keys and indexes, or `nil` when it does not exist.
    public func describeTable(named name: String) async throws -> TableDescription? {
        let response: JSONValue
        do {
            response = try await client.send("DescribeTable", ["TableName": .string(name)])
        } catch let error as DynamoDBServiceError where error.type == "ResourceNotFoundException" {
            return nil
        } catch let error as DynamoDBServiceError {
            throw StoreError.invalidRequest("DescribeTable \(name): \(error)")
        }
        guard let table = response["Table"] else {
            throw StoreError.invalidRequest("DescribeTable \(name): the answer has no `Table`")
        }
        var types: [String: TableDescription.AttributeType] = [:]
        for definition in table["AttributeDefinitions"]?.arrayValue ?? [] {
            guard let attribute = definition["AttributeName"]?.stringValue,
                let type = definition["AttributeType"]?.stringValue.flatMap(TableDescription.AttributeType.init)
            else { continue }
            types[attribute] = type
        }
        func keys(_ schema: JSONValue?) throws -> (TableDescription.Key, TableDescription.Key?) {
            var hash: TableDescription.Key?
            var range: TableDescription.Key?
            for element in schema?.arrayValue ?? [] {
                guard let attribute = element["AttributeName"]?.stringValue else { continue }
                let key = TableDescription.Key(attribute, types[attribute] ?? .string)
                if element["KeyType"] == "HASH" { hash = key } else { range = key }
            }
            guard let hash else {
                throw StoreError.invalidRequest("DescribeTable \(name): a key schema has no HASH key")
            }
            return (hash, range)
        }
        func projection(_ value: JSONValue?) -> IndexDefinition.Projection {
            switch value?["ProjectionType"]?.stringValue {
            case "KEYS_ONLY": .keysOnly
            case "INCLUDE": .include((value?["NonKeyAttributes"]?.arrayValue ?? []).compactMap(\.stringValue))
            default: .all
            }
        }
        let (partition, sort) = try keys(table["KeySchema"])
        var indexes: [TableDescription.Index] = []
        for (field, isGlobal) in [("LocalSecondaryIndexes", false), ("GlobalSecondaryIndexes", true)] {
            for index in table[field]?.arrayValue ?? [] {
                guard let indexName = index["IndexName"]?.stringValue else { continue }
                let (indexPartition, indexSort) = try keys(index["KeySchema"])
                indexes.append(
                    TableDescription.Index(
                        name: indexName, isGlobal: isGlobal, partition: indexPartition, sort: indexSort,
                        projection: projection(index["Projection"])))
            }
        }
        return TableDescription(name: name, partition: partition, sort: sort, indexes: indexes)
    }

    /// Scan: one page of one segment of a table, whatever its keys. Throttling is retried with
    /// the client's backoff until the configured deadline.
    public func scan(_ request: ScanRequest) async throws -> ScanPage {
        try request.check()
        var payload: JSONObject = [
            "TableName": .string(request.table), "Limit": .int(request.limit),
            "ConsistentRead": .bool(request.consistentRead), "ReturnConsumedCapacity": "TOTAL",
        ]
        if request.totalSegments > 1 {
            payload["Segment"] = .int(request.segment)
            payload["TotalSegments"] = .int(request.totalSegments)
        }
        if let start = request.exclusiveStartKey { payload["ExclusiveStartKey"] = AttributeValueJSON.encode(start) }
        let response: JSONValue
        do {
            response = try await client.send("Scan", .object(payload))
        } catch let error as DynamoDBServiceError where error.type == "ResourceNotFoundException" {
            throw StoreError.unknownTable(request.table)
        } catch let error as DynamoDBServiceError {
            throw error.isRetryable
                ? StoreError.unavailable("Scan \(request.table): \(error)")
                : StoreError.invalidRequest("Scan \(request.table): \(error)")
        }
        var items: [Item] = []
        if case .array(let list)? = response["Items"] { items = try list.map(AttributeValueJSON.decodeItem) }
        let lastKey = try response["LastEvaluatedKey"].flatMap {
            $0.isNull ? nil : try AttributeValueJSON.decodeItem($0)
        }
        let units = response["ConsumedCapacity"]?["CapacityUnits"]?.doubleValue
        return ScanPage(items: items, lastEvaluatedKey: lastKey, consumedCapacity: units)
    }
}
