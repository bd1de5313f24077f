import Foundation
import Testing

@testable import AMERuntime

/// The embedded store's reads do not wait for its writer, and every list limit shares one
/// prepared statement.
@Suite struct EmbeddedStoreReadTests {
    static func store() async throws -> (SQLiteStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("ame.sqlite").path)
        try await store.createTable(StoreConformanceTests.definition)
        try await store.transactWriteItems(
            (0..<20).map { number in
                .put(
                    table: "things",
                    item: [tenantAttribute: "t#default", "id": .string("i\(number)"), "color": "green"],
                    condition: nil)
            })
        return (store, folder)
    }

    @Test func aReadCompletesWhileAWriteTransactionIsHeldOpen() async throws {
        let (store, folder) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        final class Outcome: @unchecked Sendable {
            var item: Item?
            var page: QueryPage?
            var tables: [String] = []
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        // The writer holds a transaction open on a thread of its own; the reads run meanwhile.
        let completedInside: Bool = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let completed = try store.whileWriting {
                        Task {
                            outcome.item = try? await store.getItem(
                                table: "things", key: ItemKey(partition: "t#default", sort: "i3"))
                            outcome.page = try? await store.query(
                                QueryRequest(table: "things", partition: "t#default", limit: 5))
                            outcome.tables = (try? await store.listTables()) ?? []
                            outcome.done.signal()
                        }
                        // Bounded, so that a read that waits for the writer fails the test, not hangs it.
                        return outcome.done.wait(timeout: .now() + 30) == .success
                    }
                    continuation.resume(returning: completed)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        #expect(completedInside, "the reads waited for the writer's transaction")
        #expect(outcome.item?["color"] == "green")
        #expect(outcome.page?.items.count == 5)
        #expect(outcome.tables == ["things"])
    }

    @Test func everyListLimitSharesOnePreparedStatement() async throws {
        let (store, folder) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Each reader connection prepares the query once; then no limit adds a statement.
        for _ in 0..<SQLiteStore.readerCount {
            _ = try await store.query(QueryRequest(table: "things", partition: "t#default", limit: 1))
        }
        for _ in 0..<SQLiteStore.readerCount {
            _ = try await store.query(
                QueryRequest(table: "things", index: "color-index", partition: "t#default", limit: 1))
        }
        let prepared = store.preparedStatementCount
        for limit in 2...60 {
            let page = try await store.query(QueryRequest(table: "things", partition: "t#default", limit: limit))
            #expect(page.items.count == min(limit, 20))
            _ = try await store.query(
                QueryRequest(table: "things", index: "color-index", partition: "t#default", limit: limit))
        }
        #expect(store.preparedStatementCount == prepared)
    }
}
