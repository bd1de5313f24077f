import AMERuntime
import Foundation
import Testing

/// The backends every store conformance test runs on.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case embedded
    case dynamoDB

    var testDescription: String { rawValue }

    /// A fresh store that has none of `tables` yet (DynamoDB: the test run's moto_server, told of
    /// them for its retries), or `nil` when the backend is unavailable and integration tests are
    /// not required.
    func emptyStore(for tables: [TableDefinition]) async throws -> (any Store)? {
        switch self {
        case .embedded:
            return try SQLiteStore(path: nil)
        case .dynamoDB:
            guard let endpoint = try await MotoServer.shared.start() else { return nil }
            return MotoServer.store(endpoint: endpoint, tables: tables)
        }
    }

    /// A fresh store holding `tables` (created), or `nil` when the backend is unavailable and
    /// integration tests are not required. Table names get a unique suffix on DynamoDB, where the
    /// server is shared by the whole test run.
    func makeStore(_ tables: [TableDefinition]) async throws -> (store: any Store, names: [String: String])? {
        switch self {
        case .embedded:
            let store = try SQLiteStore(path: nil)
            for table in tables { try await store.createTable(table) }
            return (store, Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0.name) }))
        case .dynamoDB:
            guard let endpoint = try await MotoServer.shared.start() else { return nil }
            let suffix = UUID().uuidString.prefix(8).lowercased()
            var renamed: [TableDefinition] = []
            var names: [String: String] = [:]
            for var table in tables {
                names[table.name] = "\(table.name)-\(suffix)"
                table.name = names[table.name]!
                renamed.append(table)
            }
            let store = MotoServer.store(endpoint: endpoint, tables: renamed)
            for table in renamed { try await store.createTable(table) }
            return (store, names)
        }
    }
}
