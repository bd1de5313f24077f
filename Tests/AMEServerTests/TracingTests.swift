import AMEGenerated
import AMERuntime
import AMEServer
import InMemoryTracing
import Instrumentation
import Testing
import Tracing

/// A request's trace: one span for its execution, one per level of loads, one per store request,
/// all in one trace.
@Suite struct TracingTests {
    /// The process-wide tracer (instrumentation can be bootstrapped once).
    static let tracer: InMemoryTracer = {
        let tracer = InMemoryTracer()
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()

    @Test func anExecutionHasASpanPerLevelAndPerStoreRequest() async throws {
        let tracer = Self.tracer
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        _ = try await SampleData(corporations: 1, places: 2, contacts: 4, requests: 0)
            .load(into: engine, tenant: Tenant(endpointId: "traced"))
        let response = await engine.execute(
            GraphQLRequest(
                query:
                    "query TracedContacts { contactProfileList { contactProfileList { email place { businessName } } } }"
            ),
            tenant: Tenant(endpointId: "traced"))
        #expect(response.errors.isEmpty)
        let spans = tracer.finishedSpans
        let execution = try #require(spans.first { $0.operationName == "execute TracedContacts" })
        let trace = spans.filter { $0.traceID == execution.traceID }
        let levels = trace.filter { $0.operationName == "level" }
        #expect(levels.count == 2)
        #expect(trace.filter { $0.operationName == "Query" }.count == 1)
        #expect(trace.filter { $0.operationName == "BatchGetItem" }.count == 1)
        // Every level hangs from the execution, every store request from a level.
        #expect(levels.allSatisfy { $0.parentSpanID == execution.spanID })
        let levelIDs = Set(levels.map(\.spanID))
        #expect(
            trace.filter { ["Query", "BatchGetItem"].contains($0.operationName) }.allSatisfy {
                $0.parentSpanID.map(levelIDs.contains) ?? false
            })
    }
}
