import AMEGenerated
import AMERuntime
import Crypto
import Foundation
import Testing

/// Persisted operations: Apollo's automatic persisted queries (unknown hash, registration on the
/// retry, hash-only requests, shared through Redis), the allow-list mode and its manifest.
@Suite struct PersistedOperationsTests {
    static let tenant = Tenant(endpointId: "acme")

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func persisted(_ hash: String, version: Int = 1) -> JSONObject {
        ["persistedQuery": ["version": .int(version), "sha256Hash": .string(hash)]]
    }

    static func engine(
        _ configuration: PersistedOperationsConfiguration = PersistedOperationsConfiguration(),
        cache: HybridCache? = nil
    ) async throws -> GraphQLEngine {
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil), cache: cache,
            persistedOperations: configuration)
        try await engine.createTables()
        return engine
    }

    static let query = "query Persisted($n: Int) { ping contactProfileList(limit: $n) { total } }"

    @Test func anUnknownHashIsNotFoundThenTheRetryRegistersItAndTheHashAloneRuns() async throws {
        let engine = try await Self.engine()
        let hash = Self.sha256(Self.query)
        let unknown = await engine.execute(
            GraphQLRequest(query: "", variables: ["n": 1], extensions: Self.persisted(hash)), tenant: Self.tenant)
        #expect(unknown.errors.map(\.error.code) == ["PERSISTED_QUERY_NOT_FOUND"])
        #expect(unknown.errors.first?.json["message"] == "PersistedQueryNotFound")
        #expect(unknown.isRequestError)
        #expect(unknown.storeCounters.storeCalls == 0)

        let registered = await engine.execute(
            GraphQLRequest(query: Self.query, variables: ["n": 1], extensions: Self.persisted(hash)),
            tenant: Self.tenant)
        #expect(registered.errors.isEmpty)
        #expect(registered.data?["ping"] == "pong")

        let before = engine.documentCacheStatistics
        for _ in 0..<3 {
            let byHash = await engine.execute(
                GraphQLRequest(query: "", variables: ["n": 1], extensions: Self.persisted(hash)), tenant: Self.tenant)
            #expect(byHash.errors.isEmpty)
            #expect(byHash.data?["contactProfileList"]?["total"] == 0)
        }
        // Parsed and validated once: every hash-only request reused the document.
        let after = engine.documentCacheStatistics
        #expect(after.misses == before.misses)
        #expect(after.hits == before.hits + 3)
    }

    @Test func aHashThatIsNotTheQuerysIsRefusedAndRegistersNothing() async throws {
        let engine = try await Self.engine()
        let wrong = Self.sha256("{ ping }")
        let mismatch = await engine.execute(
            GraphQLRequest(query: Self.query, extensions: Self.persisted(wrong)), tenant: Self.tenant)
        #expect(mismatch.errors.map(\.error.code) == ["PERSISTED_QUERY_HASH_MISMATCH"])
        let stillUnknown = await engine.execute(
            GraphQLRequest(query: "", extensions: Self.persisted(wrong)), tenant: Self.tenant)
        #expect(stillUnknown.errors.map(\.error.code) == ["PERSISTED_QUERY_NOT_FOUND"])
        // A query that does not validate is not registered under its (correct) hash.
        let invalid = "{ nope }"
        let refused = await engine.execute(
            GraphQLRequest(query: invalid, extensions: Self.persisted(Self.sha256(invalid))), tenant: Self.tenant)
        #expect(refused.errors.map(\.error.code) == ["GRAPHQL_VALIDATION_FAILED"])
        let notRegistered = await engine.execute(
            GraphQLRequest(query: "", extensions: Self.persisted(Self.sha256(invalid))), tenant: Self.tenant)
        #expect(notRegistered.errors.map(\.error.code) == ["PERSISTED_QUERY_NOT_FOUND"])
        for extensions in [
            Self.persisted(Self.sha256(Self.query), version: 2), Self.persisted("ABC"),
            ["persistedQuery": "yes"] as JSONObject,
        ] {
            let invalid = await engine.execute(GraphQLRequest(query: "", extensions: extensions), tenant: Self.tenant)
            #expect(invalid.errors.map(\.error.code) == ["BAD_USER_INPUT"])
        }
    }

    @Test func persistedQueriesCanBeTurnedOff() async throws {
        let engine = try await Self.engine(PersistedOperationsConfiguration(mode: .disabled))
        let refused = await engine.execute(
            GraphQLRequest(query: Self.query, extensions: Self.persisted(Self.sha256(Self.query))), tenant: Self.tenant)
        #expect(refused.errors.map(\.error.code) == ["PERSISTED_QUERY_NOT_SUPPORTED"])
        #expect(refused.errors.first?.json["message"] == "PersistedQueryNotSupported")
        let plain = await engine.execute(GraphQLRequest(query: "{ ping }"), tenant: Self.tenant)
        #expect(plain.data?["ping"] == "pong")
    }

    @Test func theAllowListRunsOnlyTheManifestsOperationsParsedOnceAtStart() async throws {
        let builder = try await Self.engine()
        let ping = "query Ping { ping }\n"
        let manifest = try builder.persistedOperationsManifest([("ping.graphql", ping), ("list.graphql", Self.query)])
        let manifestJSON = try JSONValue.parse(manifest)
        #expect(manifestJSON["format"] == "apollo-persisted-query-manifest")
        #expect(manifestJSON["operations"]?.arrayValue.map { $0["name"] } == ["Ping", "Persisted"])
        #expect(manifestJSON["operations"]?.arrayValue.first?["id"] == .string(Self.sha256(ping)))

        let operations = try PersistedOperationsConfiguration.allowList(manifest: manifest)
        let engine = try await Self.engine(PersistedOperationsConfiguration(mode: .allowList(operations)))
        let byHash = await engine.execute(
            GraphQLRequest(query: "", extensions: Self.persisted(Self.sha256(ping))), tenant: Self.tenant)
        #expect(byHash.data?["ping"] == "pong")
        let byText = await engine.execute(GraphQLRequest(query: Self.query, variables: ["n": 2]), tenant: Self.tenant)
        #expect(byText.errors.isEmpty)
        // The operations were parsed and validated when the engine started.
        #expect(engine.documentCacheStatistics.misses == 0)
        for request in [
            GraphQLRequest(query: "{ ping }"),
            GraphQLRequest(query: "{ ping }", extensions: Self.persisted(Self.sha256("{ ping }"))),
            GraphQLRequest(query: "", extensions: Self.persisted(Self.sha256("{ ping }"))),
        ] {
            let refused = await engine.execute(request, tenant: Self.tenant)
            #expect(refused.errors.map(\.error.code) == ["OPERATION_NOT_ALLOWED"])
            #expect(refused.storeCounters.storeCalls == 0)
        }
    }

    @Test func aManifestIsCheckedWhenWrittenAndWhenLoaded() async throws {
        let builder = try await Self.engine()
        do {
            _ = try builder.persistedOperationsManifest([("ok.graphql", "{ ping }"), ("bad.graphql", "{\n  nope\n}")])
            Issue.record("an invalid operation was accepted")
        } catch {
            #expect(error.message.hasPrefix("bad.graphql:2:3: "), "\(error.message)")
        }
        let manifest = try builder.persistedOperationsManifest([("ok.graphql", "{ ping }")])
        let tampered = manifest.replacingOccurrences(of: "{ ping }", with: "{ __typename }")
        #expect(throws: AMEError.self) { try PersistedOperationsConfiguration.allowList(manifest: tampered) }
        #expect(throws: AMEError.self) { try PersistedOperationsConfiguration.allowList(manifest: "{}") }
        // A manifest operation that does not validate stops the start.
        let invalid = ["0": "{ nope }"].reduce(into: [String: String]()) { $0[Self.sha256($1.value)] = $1.value }
        await #expect(throws: AMEError.self) {
            _ = try await Self.engine(PersistedOperationsConfiguration(mode: .allowList(invalid)))
        }
    }

    @Test func aQueryRegisteredThroughOneProcessRunsByHashThroughAnotherViaRedis() async throws {
        guard let server = try await RedisServer.start() else { return }
        func cached() throws -> HybridCache {
            let cache = HybridCache(
                configuration: CacheConfiguration(redis: try RedisConfiguration(url: server.url)),
                registry: AMESchemaRegistry.registry)
            cache.start()
            return cache
        }
        let first = try await Self.engine(cache: try cached())
        let second = try await Self.engine(cache: try cached())
        let alone = try await Self.engine()
        let hash = Self.sha256(Self.query)
        let registered = await first.execute(
            GraphQLRequest(query: Self.query, extensions: Self.persisted(hash)), tenant: Self.tenant)
        #expect(registered.errors.isEmpty)
        let elsewhere = await second.execute(
            GraphQLRequest(query: "", extensions: Self.persisted(hash)), tenant: Self.tenant)
        #expect(elsewhere.errors.isEmpty)
        #expect(elsewhere.data?["ping"] == "pong")
        let withoutRedis = await alone.execute(
            GraphQLRequest(query: "", extensions: Self.persisted(hash)), tenant: Self.tenant)
        #expect(withoutRedis.errors.map(\.error.code) == ["PERSISTED_QUERY_NOT_FOUND"])
        await first.cache?.shutdown()
        await second.cache?.shutdown()
    }
}
