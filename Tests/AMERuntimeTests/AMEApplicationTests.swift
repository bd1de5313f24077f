import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The composition root assembles, from settings alone, the engine a host serves: the store the
/// settings name (embedded, or DynamoDB against moto_server), their cache (memory + a real
/// `redis-server`) and their authentication (an API keys file), answered through the router.
@Suite struct AMEApplicationTests {
    static let key = "ame_application_test_key"

    /// A folder with an API keys file granting ``key`` to the tenant `acme`.
    static func folderWithKeys() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "ame-application-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "\(TenantResolver.hash(key)) acme\n".write(
            to: folder.appending(path: "keys"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Posts `query` through the application's router with `headers`; the status and the body.
    static func post(
        _ application: AMEApplication, _ query: String, headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        var headers = headers
        headers[.contentType] = "application/json"
        let fields = headers
        let body = ByteBuffer(string: (["query": .string(query)] as JSONValue).jsonText)
        return try await Application(router: application.router()).test(.router) { client in
            try await client.execute(uri: "/graphql", method: .post, headers: fields, body: body) {
                ($0.status, try JSONValue.parse(String(buffer: $0.body)))
            }
        }
    }

    static let insert =
        #"mutation { insertUpdateCorporationProfile(externalId: "X1", corporationType: "retail", businessName: "Acme", address: {street: "1 Main", city: "Springfield", state: "IL", zip: "62701"}, updatedBy: "t") { corporationProfile { corporationUuid } } }"#

    @Test func theEmbeddedStoreWithRedisAndAPIKeysComeFromTheSettings() async throws {
        guard let redis = try await RedisServer.start() else { return }
        defer { redis.kill() }
        let folder = try Self.folderWithKeys()
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = try AMEConfiguration(settings: [
            "AME_DATA_DIR": folder.appending(path: "data").path, "AME_CACHE_ENABLED": "true",
            "AME_REDIS_URL": redis.url, "AME_API_KEYS_FILE": folder.appending(path: "keys").path,
        ]).validated()
        // A host may change fields of the configuration: here, writes' tombstones that end soon.
        configuration.cache?.tombstoneTTL = .seconds(1)
        let first = try await AMEApplication.build(registry: AMESchemaRegistry.registry, configuration: configuration)
        #expect(first.engine.store is SQLiteStore)
        #expect(FileManager.default.fileExists(atPath: folder.appending(path: "data/ame.sqlite").path))
        #expect(first.engine.cache?.configuration.redis?.port == redis.port)
        #expect(first.tenants.requiresCredentials)

        // Authentication: without the key (the development header included) a request is refused.
        for headers: HTTPFields in [[:], [HTTPField.Name("X-Endpoint-Id")!: "acme"], [.authorization: "Bearer ame_no"]]
        {
            let (status, refused) = try await Self.post(first, Self.insert, headers: headers)
            #expect(status == .unauthorized)
            #expect(refused["errors"]?.arrayValue.first?["extensions"]?["code"] == "UNAUTHENTICATED")
        }
        let keyed: HTTPFields = [.authorization: "Bearer \(Self.key)"]
        let (status, inserted) = try await Self.post(first, Self.insert, headers: keyed)
        #expect(status == .ok, "\(inserted)")
        let id = try #require(
            inserted["data"]?["insertUpdateCorporationProfile"]?["corporationProfile"]?["corporationUuid"]?.stringValue)

        // The cache: once the write's tombstone is gone, a read through one application fills
        // Redis, and a second application built from the same settings reads it from there.
        while first.engine.cache?.isMemoryLayerActive != true { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(1100))
        let get = "{ corporationProfile(corporationUuid: \"\(id)\") { businessName } }"
        let (_, cold) = try await Self.post(first, get, headers: keyed)
        #expect(cold["data"]?["corporationProfile"]?["businessName"] == "Acme", "\(cold)")
        let second = try await AMEApplication.build(registry: AMESchemaRegistry.registry, configuration: configuration)
        // Its cache reaches Redis once its subscription is up (a start returns at once).
        while second.engine.cache?.isMemoryLayerActive != true { try await Task.sleep(for: .milliseconds(20)) }
        let (_, warm) = try await Self.post(second, get, headers: keyed)
        #expect(warm["data"]?["corporationProfile"]?["businessName"] == "Acme", "\(warm)")
        #expect(warm["extensions"]?["cost"]?["storeCalls"] == 0, "\(warm)")
        #expect((second.engine.cache?.statistics.redisHits ?? 0) >= 1)
        for application in [first, second] {
            await application.engine.cache?.shutdown()
            await application.engine.store.close()
        }
    }

    @Test func dynamoDBFromTheSettingsWithItsTablePolicy() async throws {
        guard let endpoint = try await MotoServer.shared.start() else { return }
        let folder = try Self.folderWithKeys()
        defer { try? FileManager.default.removeItem(at: folder) }
        let prefix = "app\(UUID().uuidString.prefix(8).lowercased())-"
        var configuration = try AMEConfiguration(settings: [
            "AME_STORE": "dynamodb", "AWS_ENDPOINT_URL_DYNAMODB": endpoint.absoluteString,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AME_TABLE_PREFIX": prefix,
            "AME_API_KEYS_FILE": folder.appending(path: "keys").path,
        ]).validated()
        // moto answers one request at a time for every test running in parallel (see MotoServer).
        configuration.dynamoDB?.retry = RetryPolicy(deadline: .seconds(120), attemptTimeout: .seconds(60))
        let registry = AMESchemaRegistry.registry

        // A host that requires its tables is refused while they are missing, naming them.
        do {
            _ = try await AMEApplication.build(registry: registry, configuration: configuration, purpose: .serveHTTP)
            Issue.record("missing tables were not refused")
        } catch let error as AMEStartError {
            #expect(error.description.contains("lacks the tables \(prefix)"), "\(error)")
            #expect(error.description.contains("run `ame tables create --store dynamodb`"))
        }

        let created = try await AMEApplication.build(registry: registry, configuration: configuration, tables: .create)
        #expect(created.engine.store is DynamoDBStore)
        #expect(created.engine.registry.tableDefinitions.allSatisfy { $0.name.hasPrefix(prefix) })
        let tables = Set(try await created.engine.store.listTables())
        #expect(created.engine.registry.tableDefinitions.allSatisfy { tables.contains($0.name) })

        let served = try await AMEApplication.build(
            registry: registry, configuration: configuration, purpose: .serveHTTP)
        let (refusedStatus, _) = try await Self.post(served, Self.insert)
        #expect(refusedStatus == .unauthorized)
        let (status, inserted) = try await Self.post(
            served, Self.insert, headers: [.authorization: "Bearer \(Self.key)"])
        #expect(status == .ok, "\(inserted)")
        #expect(inserted["extensions"]?["cost"]?["storeCalls"] != nil)
        let page = try await created.engine.store.query(
            QueryRequest(
                table: "\(prefix)corporation_profiles", partition: .string(Tenant(endpointId: "acme").partitionKey)))
        #expect(page.items.count == 1, "the row is in the tenant's partition of the prefixed table")

        // A table of the schema's name with other keys is refused, with the difference named.
        let mismatched = "bad\(UUID().uuidString.prefix(8).lowercased())-"
        let backend = MotoServer.store(endpoint: endpoint, tables: [])
        try await backend.createTable(TableDefinition(name: "\(mismatched)contact_profiles", sortAttribute: "other"))
        var other = configuration
        other.tablePrefix = mismatched
        do {
            _ = try await AMEApplication.build(registry: registry, configuration: other, tables: .create)
            Issue.record("a table with other keys was not refused")
        } catch let error as AMEStartError {
            #expect(error.description.contains("\(mismatched)contact_profiles"), "\(error)")
        }
    }
}
