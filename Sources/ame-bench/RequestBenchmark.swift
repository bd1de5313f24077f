import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation
import MallocInterposerSwift

/// Times whole requests through the server's router, in process, with metrics exported to a
/// Prometheus registry as `ame serve` does: a direct Lambda invocation (`AMELambda.Handler`) is
/// the event's JSON → the router (request id, span, log line, metrics) → the engine → the body.
/// Per request: latency and allocations.
struct RequestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Time whole requests through the router (metrics to Prometheus, as `ame serve` exports them).")

    @Option(help: "Measured runs of each case (after 20 warm-up runs).") var iterations = 500

    func run() async throws {
        try ExecutorBenchmark.preloadAllocationCounter()
        // Warnings and errors only: the per-request log line (info) would time standard error.
        let registry = Observability.bootstrap(level: .warning)
        let (folder, _, engine, keys) = try await ExecutorBenchmark.seededStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let handler = AMELambda.Handler(
            engine: engine, tenants: TenantResolver(), limits: ServerLimits(), metrics: registry,
            options: AMELambda.Options(trustsInvoker: true))
        let counting = ProcessInfo.processInfo.environment[ExecutorBenchmark.preloadedMark] != nil
        print(
            "request: direct invocations through the router, embedded store (a file), seeded 10/50/100/100,"
                + " \(iterations) runs per case" + (counting ? "" : "; allocations not counted"))
        print("case | bytes | p50 | p99 | allocations")
        print("---|---|---|---|---")
        for (name, query, variables) in ExecutorBenchmark.cases(keys) {
            let event: JSONValue = [
                "query": .string(query), "variables": .object(variables), "endpoint_id": "bench",
            ]
            let invocation = LambdaInvocation(
                requestId: "bench", deadlineMilliseconds: Int64.max / 2, event: Array(event.jsonText.utf8))
            func invoke() async throws -> [UInt8] {
                guard case .success(let payload) = await handler.handle(invocation) else {
                    throw ValidationError("\(name): the invocation failed")
                }
                return payload
            }
            var durations: [Double] = []
            var bytes = 0
            for run in 0..<(iterations + 20) {
                let start = ContinuousClock.now
                let payload = try await invoke()
                if run >= 20 { durations.append(ExecutorBenchmark.milliseconds(ContinuousClock.now - start)) }
                bytes = payload.count
                if run == 0, case .object(let body) = try JSONValue.parse(bytes: payload), body["errors"] != nil {
                    throw ValidationError("\(name): the query failed: \(String(decoding: payload, as: UTF8.self))")
                }
            }
            var allocations = "n/a"
            if counting {
                let runs = min(iterations, 100)
                MallocInterposerSwift.reset()
                MallocInterposerSwift.hook()
                for _ in 0..<runs { _ = try await invoke() }
                MallocInterposerSwift.unhook()
                allocations = String(
                    format: "%.0f", Double(MallocInterposerSwift.getStatistics().mallocCount) / Double(runs))
            }
            durations.sort()
            let p50 = durations[durations.count / 2]
            let p99 = durations[min(durations.count - 1, durations.count * 99 / 100)]
            print(
                "\(name) | \(bytes) | \(String(format: "%.2f ms", p50)) | \(String(format: "%.2f ms", p99)) | \(allocations)"
            )
        }
    }
}
