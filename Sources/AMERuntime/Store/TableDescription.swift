/// What a store says an existing table is: its key attributes (with their types) and its
/// secondary indexes. Compared with the schema's ``TableDefinition`` before a table is used, so
/// that a table with other keys (the original service's, say) is refused up front instead of
/// failing every query.
public struct TableDescription: Sendable, Equatable, CustomStringConvertible {
    public enum AttributeType: String, Sendable {
        case string = "S"
        case number = "N"
        case binary = "B"
    }

    /// A key attribute and its type.
    public struct Key: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var type: AttributeType

        public init(_ name: String, _ type: AttributeType = .string) {
            self.name = name
            self.type = type
        }

        public var description: String { "\(name) (\(type.rawValue))" }
    }

    public struct Index: Sendable, Equatable {
        public var name: String
        public var isGlobal: Bool
        public var partition: Key
        public var sort: Key?
        public var projection: IndexDefinition.Projection

        public init(
            name: String, isGlobal: Bool, partition: Key, sort: Key?, projection: IndexDefinition.Projection = .all
        ) {
            self.name = name
            self.isGlobal = isGlobal
            self.partition = partition
            self.sort = sort
            self.projection = projection
        }

        /// `hash tenant (S), range email (S)`.
        public var keys: String { TableDescription.keys(partition, sort) }
    }

    public var name: String
    public var partition: Key
    public var sort: Key?
    public var indexes: [Index]

    public init(name: String, partition: Key, sort: Key?, indexes: [Index] = []) {
        self.name = name
        self.partition = partition
        self.sort = sort
        self.indexes = indexes
    }

    public var keys: String { Self.keys(partition, sort) }

    public var description: String {
        let indexes = indexes.map { "\($0.name): \($0.keys)" }
        return "\(name) [\(keys)]" + (indexes.isEmpty ? "" : " indexes {\(indexes.joined(separator: "; "))}")
    }

    static func keys(_ partition: Key, _ sort: Key?) -> String {
        "hash \(partition)" + (sort.map { ", range \($0)" } ?? "")
    }

    public func index(named name: String) -> Index? { indexes.first { $0.name == name } }

    /// How `found` (an existing table) differs from this one (what the schema expects), one
    /// sentence per difference; empty when the table can be used as it is. Indexes the table has
    /// beyond the expected ones are allowed; with `indexesCanBeAdded`, so are missing ones (the
    /// store builds them).
    public func differences(from found: TableDescription, indexesCanBeAdded: Bool = false) -> [String] {
        guard found.partition == partition, found.sort == sort else {
            return ["its keys are \(found.keys), but AME expects \(keys)"]
        }
        var problems: [String] = []
        for expected in indexes {
            guard let index = found.index(named: expected.name) else {
                if !indexesCanBeAdded { problems.append("it lacks the index \(expected.name) (\(expected.keys))") }
                continue
            }
            if index.partition != expected.partition || index.sort != expected.sort
                || index.isGlobal != expected.isGlobal
            {
                problems.append(
                    "its index \(expected.name) has keys \(index.keys)\(index.isGlobal ? " (global)" : ""), "
                        + "but AME expects \(expected.keys)\(expected.isGlobal ? " (global)" : "")")
            } else if index.projection != expected.projection {
                problems.append("its index \(expected.name) does not project the attributes AME reads (expected ALL)")
            }
        }
        return problems
    }
}

extension TableDefinition {
    /// The table as the schema defines it, in the terms a store describes existing tables in.
    public var expectedDescription: TableDescription {
        TableDescription(
            name: name, partition: .init(partitionAttribute), sort: .init(sortAttribute),
            indexes: indexes.map { index in
                TableDescription.Index(
                    name: index.name, isGlobal: index.isGlobal,
                    partition: .init(index.partitionAttribute ?? partitionAttribute),
                    sort: .init(index.sortAttribute, index.sortIsNumber ? .number : .string),
                    projection: index.projection
                )
            })
    }
}

/// The check `ame tables create` and `ame serve` make of every existing table.
public enum TableCheck {
    /// Throws ``StoreError/tableMismatch(_:)`` naming every table whose keys or indexes differ from
    /// the schema's, with the expected and the found keys; tables that do not exist are fine.
    public static func verify(_ tables: [TableDefinition], in store: any Store) async throws {
        var problems: [String] = []
        for table in tables {
            guard let found = try await store.describeTable(named: table.name) else { continue }
            let differences = table.expectedDescription.differences(
                from: found, indexesCanBeAdded: store.buildsAddedIndexes)
            guard !differences.isEmpty else { continue }
            var sentence = "table \(table.name): " + differences.joined(separator: "; ")
            if found.partition.name == "partition_key" {
                sentence +=
                    " (this looks like the original service's table: set AME_TABLE_PREFIX to a prefix of AME's own, e.g. ame-v2-, and copy the data with `ame migrate from-original`)"
            }
            problems.append(sentence)
        }
        guard problems.isEmpty else { throw StoreError.tableMismatch(problems) }
    }
}
