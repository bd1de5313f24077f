import AMEGenerated
import AMEReference
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation
import MallocInterposerSwift

/// Times AME's executor on the embedded store for the original's cases, side by side
/// with GraphQLSwift's own execution over per-field resolvers, and with a DataLoader-style batch
/// window, on the same store and data: latency, store calls, items read and allocations.
struct ExecutorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executor",
        abstract: "Time the executor on the original's queries against per-field and batch-window resolvers.")

    @Option(help: "Measured runs of each case and executor (after 20 warm-up runs).") var iterations = 500
    @Option(help: "The batch window of the DataLoader-style executor, in microseconds.") var windowMicroseconds = 500
    @Option(help: "Run only the executors whose name starts with this (e.g. AME, for profiling).") var only: String?
    @Option(name: .customLong("case"), help: "Run only the cases whose name starts with this (for profiling).")
    var onlyCase: String?

    /// A ``BenchmarkStore`` seeded with the sample data for the tenant `bench`. The caller
    /// removes the folder.
    static func seededStore() async throws -> (
        folder: URL, store: SQLiteStore, engine: GraphQLEngine, keys: SampleData.Keys
    ) {
        let temporary = try BenchmarkStore()
        let (folder, store) = (temporary.folder, temporary.store)
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: store)
        try await engine.createTables()
        let keys = try await SampleData().load(into: engine, tenant: Tenant(endpointId: "bench"))
        return (folder, store, engine, keys)
    }

    /// The variable that marks a run with the allocation counter preloaded.
    static let preloadedMark = "AME_BENCH_MALLOC_PRELOADED"

    func run() async throws {
        try Self.preloadAllocationCounter()
        let (folder, store, engine, keys) = try await Self.seededStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tenant = Tenant(endpointId: "bench")
        let perField = try ReferenceExecutor(registry: AMESchemaRegistry.registry, store: store)
        let window = try ReferenceExecutor(
            registry: AMESchemaRegistry.registry, store: store,
            loading: .batchWindow(.microseconds(windowMicroseconds)))
        let executors: [(String, @Sendable (GraphQLRequest) async -> Run)] = [
            (
                "AME",
                { request in
                    let response = await engine.execute(request, tenant: tenant)
                    return Run(
                        body: response.body, errors: response.errors.count, counters: response.storeCounters,
                        data: { response.data })
                }
            ),
            ("(a) per-field", { request in Run(await perField.execute(request, tenant: tenant)) }),
            ("(b) batch window", { request in Run(await window.execute(request, tenant: tenant)) }),
        ]
        let counting = ProcessInfo.processInfo.environment[Self.preloadedMark] != nil
        print(
            "executor: embedded store (a file in a temporary folder), seeded 10/50/100/100, \(iterations) runs per case and executor;"
                + " batch window \(windowMicroseconds) µs"
                + (counting ? "" : "; allocations not counted (the counter library is not preloaded)"))
        print("case | executor | store calls | items read | objects | p50 | p99 | allocations | per object | vs AME")
        print("---|---|---|---|---|---|---|---|---|---")
        for (name, query, variables) in Self.cases(keys) where onlyCase.map({ name.hasPrefix($0) }) ?? true {
            let request = GraphQLRequest(query: query, variables: variables)
            var ameMedian: Double?
            var ameData: JSONValue?
            for (executorName, execute) in executors where only.map({ executorName.hasPrefix($0) }) ?? true {
                var durations: [Double] = []
                var last: Run?
                for run in 0..<(iterations + 20) {
                    let start = ContinuousClock.now
                    let result = await execute(request)
                    if run >= 20 { durations.append(Self.milliseconds(ContinuousClock.now - start)) }
                    last = result
                }
                guard let last, last.errors == 0, !last.body.isEmpty, let data = last.data() else {
                    throw ValidationError("\(name), \(executorName): the query failed")
                }
                if let ameData, ameData != data {
                    throw ValidationError("\(name), \(executorName): a different answer from AME's")
                }
                // Allocations: a separate pass, so that counting does not slow the timed runs.
                var allocations = "n/a"
                var perObject = "n/a"
                if counting {
                    let runs = min(iterations, 100)
                    MallocInterposerSwift.reset()
                    MallocInterposerSwift.hook()
                    for _ in 0..<runs { _ = await execute(request) }
                    MallocInterposerSwift.unhook()
                    let count = Double(MallocInterposerSwift.getStatistics().mallocCount) / Double(runs)
                    allocations = String(format: "%.0f", count)
                    perObject = String(format: "%.1f", count / Double(max(1, Self.objects(in: data))))
                }
                durations.sort()
                let median = durations[durations.count / 2]
                let p99 = durations[min(durations.count - 1, durations.count * 99 / 100)]
                if ameMedian == nil {
                    ameMedian = median
                    ameData = data
                }
                let ratio = String(format: "%.1f×", median / (ameMedian ?? median))
                print(
                    "\(name) | \(executorName) | \(last.counters.storeCalls) | \(last.counters.itemsRead) | "
                        + "\(Self.objects(in: data)) | \(String(format: "%.2f ms", median)) | "
                        + "\(String(format: "%.2f ms", p99)) | \(allocations) | \(perObject) | \(ratio)")
            }
        }
    }

    /// The original's cases.
    static func cases(_ keys: SampleData.Keys) -> [(String, String, JSONObject)] {
        [
            (
                "100 contacts → place → corporation",
                "{ contactProfileList(limit: 100) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }",
                [:]
            ),
            (
                "the same with data on contacts and corporations",
                "{ contactProfileList(limit: 100) { contactProfileList { email data place { businessName corporationProfile { businessName data } } } } }",
                [:]
            ),
            (
                "the 4-level query",
                """
                query($c: String!, $id: String!) { contactRequest(contactUuid: $c, requestUuid: $id) { requestTitle requestDetail contactProfile { email firstName
                  place { businessName corporationProfile { businessName corporationType categories data } } data } } }
                """,
                ["c": .string(keys.requestContacts[0]), "id": .string(keys.requests[0])]
            ),
            (
                "a single get", "query($id: String!) { contactProfile(contactUuid: $id) { email firstName lastName } }",
                ["id": .string(keys.contacts[0])]
            ),
            (
                "100 contacts, no nesting",
                "{ contactProfileList(limit: 100) { contactProfileList { email firstName } } }", [:]
            ),
        ]
    }

    /// What one execution returned: each executor is timed up to the response body's bytes.
    struct Run: Sendable {
        var body: [UInt8]
        var errors: Int
        var counters: StoreSession.Counters
        /// The response's data, for the check that every executor gives the same answer (untimed).
        var data: @Sendable () -> JSONValue?

        init(body: [UInt8], errors: Int, counters: StoreSession.Counters, data: @escaping @Sendable () -> JSONValue?) {
            self.body = body
            self.errors = errors
            self.counters = counters
            self.data = data
        }

        init(_ response: ReferenceExecutor.Response) {
            var writer = JSONWriter()
            writer.write(response.json)
            self.init(
                body: writer.bytes, errors: response.json["errors"]?.arrayValue.count ?? 0,
                counters: response.counters, data: { response.json["data"] })
        }
    }

    /// The number of objects in a response's data (the result's size in items).
    static func objects(in value: JSONValue) -> Int {
        switch value {
        case .object(let object): 1 + object.values.reduce(0) { $0 + objects(in: $1) }
        case .array(let elements): elements.reduce(0) { $0 + objects(in: $1) }
        default: 0
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// Counting allocations needs the counter library preloaded: re-executes this process with
    /// `LD_PRELOAD` set to the library built next to it, once.
    static func preloadAllocationCounter() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment[preloadedMark] == nil else { return }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let library = executable.deletingLastPathComponent().appending(path: "libMallocInterposerSwift.so")
        guard FileManager.default.fileExists(atPath: library.path) else { return }
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments[0] = strdup(executable.path)
        arguments.append(nil)
        setenv("LD_PRELOAD", library.path, 1)
        setenv(preloadedMark, "1", 1)
        execv(executable.path, arguments)
        throw ValidationError("cannot re-execute \(executable.path) with the allocation counter: errno \(errno)")
    }
}
