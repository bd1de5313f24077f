import AMERuntime
import Foundation
import Logging

/// Every setting of an AME host, typed: made once from the effective settings (the environment
/// over `.env` over the defaults, see ``Settings``) and handed to ``AMEApplication``, which
/// assembles the engine from it. `ame` and any package built on AME read their settings here and
/// nowhere else; a host's own flags may override fields afterwards.
///
/// Making a configuration never fails: a value that cannot be used is recorded in ``problems``
/// (with the setting's name, what is wrong and how to fix it) and its field keeps the default,
/// so a host can still print the configuration or report the problems where it must (Lambda's
/// `init/error`). ``validated()`` and ``AMEApplication`` refuse a configuration with problems.
public struct AMEConfiguration: Sendable {
    /// Where the data lives (`AME_STORE`).
    public enum StoreKind: String, Sendable, CaseIterable {
        /// SQLite on local disk, in ``AMEConfiguration/dataDirectory``.
        case embedded
        /// DynamoDB, reached through ``AMEConfiguration/dynamoDB``.
        case dynamodb
    }

    /// The effective values behind this configuration, by setting name (for `--print-config`).
    public let settings: [String: String]
    /// Every invalid setting, each with what is wrong and how to fix it; empty when all are valid.
    public private(set) var problems: [String] = []

    public var store: StoreKind = .embedded
    /// The folder of the embedded store (`AME_DATA_DIR`).
    public var dataDirectory = ".ame"
    /// DynamoDB's endpoint, region and credentials (`AWS_*`); `nil` without credentials.
    public var dynamoDB: DynamoDBConfiguration?
    /// Prefix of the physical table names (`AME_TABLE_PREFIX`); `nil`: the schema's `table_prefix`.
    public var tablePrefix: String?
    public var queryLimits = QueryLimits()
    public var serverLimits = ServerLimits()
    /// Per-tenant complexity and depth limits (`AME_TENANT_LIMITS`).
    public var tenantLimits: [String: TenantLimits] = [:]
    /// Signs `nextToken`s (`AME_TOKEN_SECRET`); `nil`: a random secret per process, so tokens
    /// do not survive a restart or cross instances.
    public var tokenSecret: String?
    /// The entity cache (`AME_CACHE_*`, `AME_REDIS_URL`); `nil` when it is off.
    public var cache: CacheConfiguration?
    /// Per-tenant rate limits in capacity units (`AME_RATE_LIMITS_FILE`); `nil` when they are off.
    public var rateLimits: RateLimits?
    /// How writes are remembered for the reads of global indexes (`AME_RECENT_WRITES_SECONDS`,
    /// shared through `AME_REDIS_URL`).
    public var recentWrites = RecentWritesConfiguration()
    /// The Redis every instance shares (`AME_REDIS_URL`): the cache's shared layer and the rate
    /// limits' buckets; `nil` when unset.
    public var redis: RedisConfiguration?
    /// Signs upload URLs (`AME_UPLOAD_BUCKET`, …); `nil` when uploads are off.
    public var uploads: S3UploadURLSigner?
    public var persistedOperations = PersistedOperationsConfiguration()
    /// Whether `__schema` and `__type` are answered (`AME_INTROSPECTION`).
    public var introspection = true
    /// API keys by the SHA-256 of the key (read from `AME_API_KEYS_FILE`).
    public var apiKeys: [String: Tenant] = [:]
    /// The HS256 secret of accepted JWTs (`AME_JWT_SECRET`).
    public var jwtSecret: String?
    /// Address and port to bind (`AME_HOST`, `AME_PORT`; port 0 picks a free one).
    public var host = "127.0.0.1"
    public var port = 8080
    /// Which browser origins may call the service (`AME_CORS_*`); `nil`: none.
    public var cors: CORSPolicy?
    /// How long in-flight requests get to finish on SIGTERM (`AME_SHUTDOWN_TIMEOUT`).
    public var shutdownTimeout: Duration = .seconds(10)
    public var logLevel: Logger.Level = .info
    /// The Lambda host's options (`AME_LAMBDA_*`).
    public var lambda = AMELambda.Options()
    /// The address of Lambda's Runtime API (`AWS_LAMBDA_RUNTIME_API`, set by Lambda itself).
    public var lambdaRuntimeAPI: String?

    /// The configuration of the effective settings of this process: the environment over
    /// `.env` (when it exists) over the defaults. Throws only when `.env` cannot be read.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, environmentFile: String = ".env"
    ) async throws -> AMEConfiguration {
        AMEConfiguration(settings: try await Settings.load(environment: environment, environmentFile: environmentFile))
    }

    /// The configuration of `settings` (effective values, as ``Settings/load(environment:environmentFile:)``
    /// returns them; a setting missing here takes its default).
    public init(settings: [String: String]) {
        self.settings = settings
        let checked = Settings.invalid(settings)
        problems = checked.map { "\($0.name): \($0.problem)" }
        // A setting whose own check failed is reported once, by that check; the parsers below
        // only see settings that passed it.
        let invalid = Set(checked.map(\.name))
        func value(_ name: String) -> String? {
            guard !invalid.contains(name) else { return nil }
            return settings[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        let valid = settings.filter { !invalid.contains($0.key) }

        store = value("AME_STORE").flatMap { StoreKind(rawValue: $0.lowercased()) } ?? .embedded
        dataDirectory = value("AME_DATA_DIR") ?? dataDirectory
        tablePrefix = value("AME_TABLE_PREFIX")
        host = value("AME_HOST") ?? host
        port = Settings.integer("AME_PORT", in: valid)
        queryLimits = QueryLimits(settings: valid)
        serverLimits = ServerLimits(settings: valid)
        shutdownTimeout = .seconds(Settings.integer("AME_SHUTDOWN_TIMEOUT", in: valid))
        logLevel = value("AME_LOG_LEVEL").flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        introspection = Settings.flag("AME_INTROSPECTION", in: valid)
        tokenSecret = value("AME_TOKEN_SECRET")
        jwtSecret = value("AME_JWT_SECRET")
        lambda = AMELambda.Options(settings: valid)
        lambdaRuntimeAPI = settings["AWS_LAMBDA_RUNTIME_API"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = value("AME_TENANT_LIMITS") { tenantLimits = (try? TenantLimits.parse(text)) ?? [:] }

        do {
            dynamoDB = try DynamoDBConfiguration.fromEnvironment(valid)
        } catch {
            // Only a problem where DynamoDB is the store; `ame migrate` asks for it itself.
            dynamoDBProblem = Self.reason(error)
            if store == .dynamodb { problems.append(Self.reason(error)) }
        }
        do {
            cache = try CacheConfiguration.fromEnvironment(valid)
        } catch {
            problems.append(error.description)
        }
        do {
            uploads = try S3UploadURLSigner.fromEnvironment(valid)
        } catch {
            problems.append(Self.reason(error))
        }
        do {
            cors = try CORSPolicy(settings: valid)
        } catch {
            problems.append(error.description)
        }
        redis = value("AME_REDIS_URL").flatMap { try? RedisConfiguration(url: $0) }
        recentWrites.window = .seconds(Settings.integer("AME_RECENT_WRITES_SECONDS", in: valid))
        recentWrites.redis = redis
        if let path = value("AME_RATE_LIMITS_FILE") {
            let bounds = RateLimits.Bounds(
                maxClasses: Settings.integer("AME_RATE_LIMITS_MAX_CLASSES", in: valid),
                maxTenants: Settings.integer("AME_RATE_LIMITS_MAX_TENANTS", in: valid))
            do {
                rateLimits = try RateLimits.read(path: path, bounds: bounds)
            } catch {
                problems.append("AME_RATE_LIMITS_FILE \(path): \(error)")
            }
        }
        if let path = value("AME_API_KEYS_FILE") {
            do {
                apiKeys = try TenantResolver.readKeysFile(path)
            } catch let error as TenantResolver.KeysFileError {
                problems.append("AME_API_KEYS_FILE: \(error)")
            } catch {
                problems.append(
                    "AME_API_KEYS_FILE \(path) cannot be read: \(error.localizedDescription) (make it with `ame keys add --file`)"
                )
            }
        }
        persistedOperations.maxEntries = Settings.integer("AME_PERSISTED_QUERIES_MAX", in: valid)
        switch value("AME_PERSISTED_QUERIES")?.lowercased() ?? "automatic" {
        case "off": persistedOperations.mode = .disabled
        case "allow-list":
            guard let path = value("AME_PERSISTED_QUERIES_FILE") else {
                problems.append(
                    "AME_PERSISTED_QUERIES=allow-list needs AME_PERSISTED_QUERIES_FILE, the manifest `ame operations manifest` writes"
                )
                break
            }
            do {
                persistedOperations.mode = .allowList(
                    try PersistedOperationsConfiguration.allowList(
                        manifest: String(contentsOfFile: path, encoding: .utf8)))
            } catch let error as AMEError {
                problems.append("AME_PERSISTED_QUERIES_FILE \(path): \(error.message)")
            } catch {
                problems.append("AME_PERSISTED_QUERIES_FILE \(path) cannot be read: \(error.localizedDescription)")
            }
        default: persistedOperations.mode = .automatic
        }
    }

    /// This configuration, or ``AMEStartError/invalidSettings(_:)`` with every problem.
    public func validated() throws(AMEStartError) -> AMEConfiguration {
        guard problems.isEmpty else { throw .invalidSettings(problems) }
        return self
    }

    /// DynamoDB's configuration, or why there is none (the credentials are missing).
    public func requiredDynamoDB() throws(AMEStartError) -> DynamoDBConfiguration {
        guard let dynamoDB else { throw .invalidSettings([dynamoDBProblem ?? "DynamoDB is not configured"]) }
        return dynamoDB
    }

    /// Why ``dynamoDB`` is `nil`, when it is.
    private var dynamoDBProblem: String?

    /// What a settings parser refused, without the store's prefix.
    private static func reason(_ error: StoreError) -> String {
        if case .invalidRequest(let reason) = error { return reason }
        return error.description
    }

    /// Whether requests must carry a credential (API keys or a JWT secret are configured).
    public var requiresCredentials: Bool { !apiKeys.isEmpty || jwtSecret != nil }
}

/// Why a host could not start. Rendered by the host (`ame` prints it and exits; Lambda reports
/// it to `init/error`).
public enum AMEStartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Settings that cannot be used, each with what is wrong and how to fix it.
    case invalidSettings([String])
    /// The settings are valid, but the host refuses to start with them (no authentication off
    /// loopback, missing or mismatched tables, …); the message says how to fix it.
    case refused(String)

    public var description: String {
        switch self {
        case .invalidSettings(let problems): "invalid settings:\n  " + problems.joined(separator: "\n  ")
        case .refused(let message): message
        }
    }
}
