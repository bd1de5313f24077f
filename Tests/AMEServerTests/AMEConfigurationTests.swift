import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// The one typed configuration of every host: made from the effective settings, every invalid
/// one reported at once with how to fix it, and refused by the builder before anything is opened.
@Suite struct AMEConfigurationTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "ame-configuration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func everyInvalidSettingIsReportedAtOnceEachOnceWithItsName() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = AMEConfiguration(settings: [
            // Refused by the settings' own checks.
            "AME_PORT": "eighty", "AME_MAX_DEPTH": "0", "AME_REDIS_URL": "http://cache",
            "AME_JWT_SECRET": "short", "AME_LAMBDA_TRUSTED_CLAIMS": "a,b,c",
            // Refused when the typed values are made.
            "AME_STORE": "dynamodb", "AME_API_KEYS_FILE": folder.appending(path: "absent").path,
            "AME_PERSISTED_QUERIES": "allow-list", "AME_UPLOAD_BUCKET": "uploads",
            "AME_CORS_ORIGINS": "*", "AME_CORS_ALLOW_CREDENTIALS": "true", "AME_CACHE_ENABLED": "true",
        ])
        let problems = configuration.problems
        let expectedStarts = [
            "AME_PORT: `eighty` is not a whole number from 0 to 65535",
            "AME_MAX_DEPTH: `0` is not a whole number from 1 to 1000",
            "AME_REDIS_URL: ",
            "AME_JWT_SECRET: is 5 bytes",
            "AME_LAMBDA_TRUSTED_CLAIMS: ",
            "the DynamoDB store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            "AME_API_KEYS_FILE \(folder.appending(path: "absent").path) cannot be read: ",
            "AME_PERSISTED_QUERIES=allow-list needs AME_PERSISTED_QUERIES_FILE",
            "AME_UPLOAD_BUCKET needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            "AME_CORS_ORIGINS=* cannot be combined with AME_CORS_ALLOW_CREDENTIALS=true",
        ]
        for start in expectedStarts {
            #expect(problems.filter { $0.hasPrefix(start) }.count == 1, "\(start) in \(problems)")
        }
        // The invalid Redis URL is reported by its check, not a second time by the cache's parser.
        #expect(problems.count == expectedStarts.count, "\(problems)")
        #expect(!problems.joined().contains("short"), "a secret is never repeated")
        #expect(throws: AMEStartError.invalidSettings(problems)) { try configuration.validated() }
        #expect(
            AMEStartError.invalidSettings(problems).description
                == "invalid settings:\n  " + problems.joined(separator: "\n  "))
        // A keys file that is read but holds a bad line is named with the line and the fix.
        let keys = folder.appending(path: "keys")
        try "not-a-hash acme\n".write(to: keys, atomically: true, encoding: .utf8)
        let badLine = AMEConfiguration(settings: ["AME_API_KEYS_FILE": keys.path]).problems
        #expect(badLine.count == 1)
        #expect(badLine.first?.hasPrefix("AME_API_KEYS_FILE: \(keys.path):1: the first field is not a SHA-256") == true)
        #expect(badLine.first?.contains("ame keys add") == true)
    }

    @Test func validSettingsBecomeTypedValues() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let keys = folder.appending(path: "keys")
        try "\(TenantResolver.hash("ame_k")) acme east\n".write(to: keys, atomically: true, encoding: .utf8)
        let configuration = try AMEConfiguration(settings: [
            "AME_STORE": "dynamodb", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:4566", "AWS_REGION": "eu-west-1",
            "AME_TABLE_PREFIX": "lib-", "AME_PORT": "0", "AME_HOST": "::1", "AME_MAX_DEPTH": "7",
            "AME_MAX_BODY_BYTES": "2048", "AME_TENANT_LIMITS": #"{"acme": {"maxComplexity": 50}}"#,
            "AME_CACHE_ENABLED": "true", "AME_REDIS_URL": "redis://127.0.0.1:6390/2", "AME_CACHE_TTL": "30",
            "AME_API_KEYS_FILE": keys.path, "AME_INTROSPECTION": "off", "AME_PERSISTED_QUERIES": "off",
            "AME_SHUTDOWN_TIMEOUT": "3", "AME_LOG_LEVEL": "debug", "AME_LAMBDA_TRUST_INVOKER": "true",
            "AME_CORS_ORIGINS": "https://app.example.com",
        ]).validated()
        #expect(configuration.store == .dynamodb)
        #expect(configuration.dynamoDB?.endpoint.absoluteString == "http://127.0.0.1:4566")
        #expect(configuration.dynamoDB?.region == "eu-west-1")
        #expect(configuration.tablePrefix == "lib-")
        #expect(configuration.port == 0 && configuration.host == "::1")
        #expect(configuration.queryLimits.maxDepth == 7)
        #expect(configuration.serverLimits.maxBodyBytes == 2048)
        #expect(configuration.tenantLimits["acme"]?.maxComplexity == 50)
        #expect(configuration.cache?.ttl == .seconds(30))
        #expect(configuration.cache?.redis?.port == 6390)
        #expect(configuration.apiKeys == [TenantResolver.hash("ame_k"): Tenant(endpointId: "acme", partId: "east")])
        #expect(configuration.requiresCredentials)
        #expect(!configuration.introspection)
        #expect(configuration.persistedOperations.mode == .disabled)
        #expect(configuration.shutdownTimeout == .seconds(3))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.lambda.trustsInvoker)
        #expect(configuration.cors?.allowedOrigins == ["https://app.example.com"])
        // Nothing set: the defaults of the settings list.
        let defaults = try AMEConfiguration(settings: [:]).validated()
        #expect(defaults.store == .embedded && defaults.dataDirectory == ".ame" && defaults.port == 8080)
        #expect(defaults.cache == nil && defaults.uploads == nil && defaults.dynamoDB == nil && defaults.cors == nil)
        #expect(defaults.tablePrefix == nil, "unset: the schema's own table_prefix")
        #expect(!defaults.requiresCredentials)
    }

    @Test func theEffectiveSettingsAreTheEnvironmentOverTheEnvFile() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: ".env")
        try "AME_PORT=9091\nAME_STORE=dynamodb\n".write(to: file, atomically: true, encoding: .utf8)
        let configuration = try await AMEConfiguration.load(
            environment: ["AME_STORE": "embedded"], environmentFile: file.path)
        #expect(configuration.port == 9091)
        #expect(configuration.store == .embedded)
        #expect(configuration.problems.isEmpty)
    }

    @Test func theBuilderRefusesInvalidSettingsBeforeItOpensAnything() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appending(path: "data")
        let configuration = AMEConfiguration(settings: [
            "AME_DATA_DIR": data.path, "AME_MAX_COMPLEXITY": "none", "AME_TENANT_LIMITS": "[1]",
        ])
        await #expect(throws: AMEStartError.invalidSettings(configuration.problems)) {
            _ = try await AMEApplication.build(registry: AMESchemaRegistry.registry, configuration: configuration)
        }
        #expect(configuration.problems.count == 2)
        #expect(!FileManager.default.fileExists(atPath: data.path), "the store's folder is not made")
    }

    @Test func aServingPurposeIsRefusedWhatItCannotServeSafely() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appending(path: "data").path
        let open = AMEConfiguration(settings: ["AME_DATA_DIR": data, "AME_HOST": "0.0.0.0"])
        do {
            _ = try await AMEApplication.build(
                registry: AMESchemaRegistry.registry, configuration: open, purpose: .serveHTTP)
            Issue.record("serving on 0.0.0.0 without authentication was not refused")
        } catch let error as AMEStartError {
            #expect(error.description.hasPrefix("refusing to serve on 0.0.0.0 without authentication"))
        }
        let embedded = AMEConfiguration(settings: ["AME_DATA_DIR": data, "AME_LAMBDA_TRUST_INVOKER": "true"])
        do {
            _ = try await AMEApplication.build(
                registry: AMESchemaRegistry.registry, configuration: embedded, purpose: .serveLambda)
            Issue.record("Lambda on the embedded store was not refused")
        } catch let error as AMEStartError {
            #expect(error.description.contains("DynamoDB only"))
        }
        #expect(!FileManager.default.fileExists(atPath: data))
        // The same settings administer the embedded store (the development tenancy is for loopback
        // only); without AME_TABLE_PREFIX a host's registry keeps its schema's prefix.
        let application = try await AMEApplication.build(
            registry: AMESchemaRegistry.registry.withTablePrefix("host-"), configuration: open, purpose: .administer)
        #expect(application.engine.store is SQLiteStore)
        #expect(application.engine.registry.tableDefinitions.allSatisfy { $0.name.hasPrefix("host-") })
        #expect(FileManager.default.fileExists(atPath: "\(data)/ame.sqlite"))
        await application.engine.store.close()
    }

    @Test func theRateLimitsFileIsReadOrRefusedWithTheSettingThePathAndThePlace() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appending(path: "limits.json").path
        let classes = (0..<3).map { #""c\#($0)": {"readUnitsPerSecond": 5, "writeUnitsPerSecond": 1}"# }
        try Data(#"{"default": "c0", "classes": {\#(classes.joined(separator: ","))}, "tenants": {"acme": "c2"}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))

        #expect(AMEConfiguration(settings: [:]).rateLimits == nil, "off by default")
        let configured = AMEConfiguration(settings: [
            "AME_RATE_LIMITS_FILE": path, "AME_REDIS_URL": "redis://127.0.0.1:6390/3",
        ])
        #expect(configured.problems.isEmpty, "\(configured.problems)")
        #expect(configured.rateLimits?.classNames == ["c0", "c1", "c2"])
        #expect(configured.rateLimits?.tenantClass(of: Tenant(endpointId: "acme")).name == "c2")
        #expect(configured.redis?.port == 6390)
        #expect(configured.cache == nil, "the rate limits use AME_REDIS_URL without the cache")

        let tooMany = AMEConfiguration(settings: ["AME_RATE_LIMITS_FILE": path, "AME_RATE_LIMITS_MAX_CLASSES": "2"])
        #expect(
            tooMany.problems == [
                "AME_RATE_LIMITS_FILE \(path): `classes` has 3 classes, more than 2 (AME_RATE_LIMITS_MAX_CLASSES): each is a metric label, so merge classes or raise the setting"
            ])
        #expect(tooMany.rateLimits == nil)
        let bound = AMEConfiguration(settings: ["AME_RATE_LIMITS_FILE": path, "AME_RATE_LIMITS_MAX_CLASSES": "65"])
        #expect(bound.problems.first?.hasPrefix("AME_RATE_LIMITS_MAX_CLASSES: `65` is not a whole number") == true)

        try Data(#"{"default": "c0", "classes": {"c0": {"readUnitsPerSecond": 5}}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(
            AMEConfiguration(settings: ["AME_RATE_LIMITS_FILE": path]).problems == [
                "AME_RATE_LIMITS_FILE \(path): `classes.c0.writeUnitsPerSecond` is missing: give units per second"
            ])
        let absent = folder.appending(path: "absent.json").path
        #expect(
            AMEConfiguration(settings: ["AME_RATE_LIMITS_FILE": absent]).problems == [
                "AME_RATE_LIMITS_FILE \(absent): the file cannot be read: check the path and its permissions"
            ])
    }
}
