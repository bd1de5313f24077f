import AMEGenerated
import AMEServer
import Foundation
import Synchronization
import Testing

@testable import AMERuntime

/// The embedded store's blocking calls run on its own threads, and an operation runs there as a
/// whole, so its reads cost no thread switch each.
@Suite struct StoreThreadsTests {
    /// An engine over an in-memory store whose calls run on `threads`.
    static func engine(on threads: StoreThreads) async throws -> (GraphQLEngine, SampleData.Keys) {
        let store = try SQLiteStore(path: nil, readers: 0, threads: threads)
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: store)
        try await engine.createTables()
        return (engine, try await SampleData().load(into: engine, tenant: TestEngine.tenantA))
    }

    @Test func anOperationMovesOntoTheStoreThreadsOnceForAllItsReads() async throws {
        let threads = StoreThreads(count: 2)
        let (engine, keys) = try await Self.engine(on: threads)
        let queries: [(String, JSONObject)] = [
            (LevelBatchingTests.nestedList, ["limit": 100]),
            (
                """
                query($c: String!, $id: String!) { contactRequest(contactUuid: $c, requestUuid: $id) {
                  requestTitle contactProfile { email data place { businessName
                  corporationProfile { businessName data } } } } }
                """,
                ["c": .string(keys.requestContacts[0]), "id": .string(keys.requests[0])]
            ),
        ]
        for (query, variables) in queries {
            let before = threads.enqueuedJobs
            let response = await engine.execute(
                GraphQLRequest(query: query, variables: variables), tenant: TestEngine.tenantA)
            #expect(response.errors.isEmpty)
            #expect(response.cost.storeCalls >= 3)
            // One move onto the threads, for the whole operation; a move per call would be one
            // per store call at least.
            #expect(threads.enqueuedJobs - before == 1, "\(query)")
        }
    }

    @Test func aCallerOffTheThreadsIsMovedThereForTheCallAndBack() async throws {
        let threads = StoreThreads(count: 1)
        #expect(!StoreThreads.isCurrentThread)
        let inside = try await threads.run { StoreThreads.isCurrentThread }
        #expect(inside)
        #expect(!StoreThreads.isCurrentThread)
        #expect(threads.enqueuedJobs == 1)
        // Already there: the call runs in place.
        let nested = try await withTaskExecutorPreference(threads) {
            try await threads.run { StoreThreads.isCurrentThread }
        }
        #expect(nested)
        #expect(threads.enqueuedJobs == 2)
    }

    @Test func anErrorThrownOnTheThreadsReachesTheCaller() async throws {
        struct Failure: Error {}
        let threads = StoreThreads(count: 1)
        await #expect(throws: Failure.self) { try await threads.run { throw Failure() } }
    }

    /// What the jobs of the test below share.
    final class Shared: Sendable {
        let started = Atomic<Bool>(false)
        let release = Atomic<Bool>(false)
        let ran = Mutex<[Int]>([])
    }

    @Test func moreWaitingJobsThanTheQueueFirstHoldsAllRun() async throws {
        let threads = StoreThreads(count: 1)
        let shared = Shared()
        // The one thread is held, so every job below waits in the queue (which starts at 64).
        let blocker = Task {
            try await threads.run {
                shared.started.store(true, ordering: .releasing)
                while !shared.release.load(ordering: .acquiring) { usleep(100) }
            }
        }
        while !shared.started.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let count = 300
        let tasks = (0..<count).map { index in
            Task { try await threads.run { shared.ran.withLock { $0.append(index) } } }
        }
        while threads.enqueuedJobs < count + 1 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(shared.ran.withLock { $0.isEmpty })
        shared.release.store(true, ordering: .releasing)
        try await blocker.value
        for task in tasks { try await task.value }
        #expect(shared.ran.withLock { $0.sorted() } == Array(0..<count))
    }
}
