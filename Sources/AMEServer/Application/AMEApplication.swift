import AMERuntime
import Foundation
import Hummingbird
import Logging
import Prometheus

/// The composition root of every AME host: from a schema's registry and an ``AMEConfiguration``
/// it assembles the engine (store, table check, cache, limits, page tokens, uploads, persisted
/// operations), the tenancy (API keys, JWT) and the metrics, and runs them (over HTTP with a
/// graceful shutdown, or as a Lambda function). `ame` uses it for every command that opens the
/// store, and a package built on AME uses it with its own generated registry:
///
/// ```swift
/// let configuration = try await AMEConfiguration.load()
/// try await AMEApplication.serve(registry: AMESchemaRegistry.registry, configuration: configuration)
/// ```
public struct AMEApplication: Sendable {
    /// What the host does with the application, which decides what it requires.
    public enum Purpose: Sendable {
        /// Serves HTTP: without API keys or a JWT secret, only on a loopback address.
        case serveHTTP
        /// Serves Lambda invocations: DynamoDB only (the function's disk is discarded), and a
        /// credential, an authorizer's claims or a trusted invoker.
        case serveLambda
        /// A command that opens the store and exits (seeding, tables, migration).
        case administer
    }

    /// What building does about the schema's tables.
    public enum TablePolicy: Sendable {
        /// Create missing tables (idempotent).
        case create
        /// Refuse to start if a table is missing (DynamoDB; the embedded store always creates them).
        case requireExisting
        /// Leave them alone (`ame tables list|delete`, `ame migrate`).
        case leave
    }

    public let configuration: AMEConfiguration
    public let engine: GraphQLEngine
    public let tenants: TenantResolver
    /// Where the metrics are collected (served at `GET /metrics`); `nil` when not bootstrapped.
    public let metrics: PrometheusCollectorRegistry?

    /// Assembles the application. The registry gets the configuration's table prefix, if set; the cache,
    /// when configured, is started. Throws ``AMEStartError`` for invalid settings and for what the
    /// purpose or the store refuses (no authentication, missing or mismatched tables).
    public static func build(
        registry: SchemaRegistry, configuration: AMEConfiguration, purpose: Purpose = .administer,
        tables policy: TablePolicy = .requireExisting, keys: KeyGenerator = .random,
        metrics: PrometheusCollectorRegistry? = nil
    ) async throws -> AMEApplication {
        let configuration = try configuration.validated()
        try check(configuration, for: purpose)
        let tenants = await TenantResolver(apiKeys: configuration.apiKeys, jwtSecret: configuration.jwtSecret)
        let registry = configuration.tablePrefix.map(registry.withTablePrefix) ?? registry
        // Instances behind one address must share the secret, or a token from one is refused by another.
        let pageTokens = configuration.tokenSecret.map(PageTokenSigner.init(secret:)) ?? .random()
        // One set of metric handles for the cache, the store and the engine (made after the
        // process's metrics backend is bootstrapped).
        let runtimeMetrics = RuntimeMetrics(
            tenantClasses: configuration.rateLimits?.classNames ?? [RateLimits.unlimitedClass])
        let rateLimiter = configuration.rateLimits.map {
            RateLimiter(limits: $0, redis: configuration.redis, metrics: runtimeMetrics)
        }
        if rateLimiter != nil, configuration.redis == nil {
            Logger(label: "ame.limits").notice(
                "rate limits are enforced by this instance alone: set AME_REDIS_URL to share them between instances")
        }
        // Every process that writes invalidates the cache, so seeding a served store is safe too.
        let cache = configuration.cache.map {
            HybridCache(configuration: $0, registry: registry, metrics: runtimeMetrics)
        }
        cache?.start()
        do {
            let store: any Store
            switch configuration.store {
            case .embedded:
                try FileManager.default.createDirectory(
                    atPath: configuration.dataDirectory, withIntermediateDirectories: true)
                store = try SQLiteStore(path: "\(configuration.dataDirectory)/ame.sqlite")
            case .dynamodb:
                store = DynamoDBStore(
                    configuration: try configuration.requiredDynamoDB(), tables: registry.tableDefinitions,
                    metrics: runtimeMetrics)
            }
            let engine = try GraphQLEngine(
                registry: registry, store: store, limits: configuration.queryLimits,
                tenantLimits: configuration.tenantLimits, keys: keys, pageTokens: pageTokens, cache: cache,
                introspection: configuration.introspection, uploadSigner: configuration.uploads,
                persistedOperations: configuration.persistedOperations, metrics: runtimeMetrics,
                rateLimiter: rateLimiter, recentWrites: configuration.recentWrites)
            try await prepareTables(of: engine, policy, configuration)
            return AMEApplication(configuration: configuration, engine: engine, tenants: tenants, metrics: metrics)
        } catch {
            await cache?.shutdown()
            await rateLimiter?.shutdown()
            throw error
        }
    }

    /// Builds the application and serves it over HTTP on the configuration's host and port until
    /// SIGTERM or SIGINT (``AMEService/serve(engine:host:port:tenants:banner:limits:metrics:cors:shutdownTimeout:logger:)``).
    /// Bootstraps logging and metrics for the process first, so call it once.
    public static func serve(
        registry: SchemaRegistry, configuration: AMEConfiguration, tables policy: TablePolicy = .requireExisting,
        banner: String? = nil
    ) async throws {
        let configuration = try configuration.validated()
        try check(configuration, for: .serveHTTP)
        let metrics = Observability.bootstrap(level: configuration.logLevel)
        let application = try await build(
            registry: registry, configuration: configuration, purpose: .serveHTTP, tables: policy, metrics: metrics)
        try await application.serve(
            banner: banner ?? " (store: \(configuration.store.rawValue), data: \(configuration.dataDirectory))")
    }

    /// Serves this application over HTTP until SIGTERM or SIGINT, then closes the cache and the store.
    public func serve(banner: String = "") async throws {
        try await AMEService.serve(
            engine: engine, host: configuration.host, port: configuration.port, tenants: tenants, banner: banner,
            limits: configuration.serverLimits, metrics: metrics, cors: configuration.cors,
            shutdownTimeout: configuration.shutdownTimeout)
    }

    /// The router `serve` runs: every route, with the configuration's limits and CORS policy (for
    /// a host's own server, or for tests with `HummingbirdTesting`).
    public func router() -> Router<BasicRequestContext> {
        AMEHTTPServer.router(
            engine: engine, tenants: tenants, limits: configuration.serverLimits, metrics: metrics,
            cors: configuration.cors)
    }

    /// What a purpose requires of the configuration, checked before the store is opened.
    static func check(_ configuration: AMEConfiguration, for purpose: Purpose) throws(AMEStartError) {
        switch purpose {
        case .serveHTTP:
            guard configuration.requiresCredentials || TenantResolver.isLoopback(configuration.host) else {
                throw .refused(
                    "refusing to serve on \(configuration.host) without authentication: bind to 127.0.0.1, or set AME_API_KEYS_FILE or AME_JWT_SECRET"
                )
            }
        case .serveLambda:
            guard configuration.store == .dynamodb else {
                throw .refused(
                    "Lambda serves DynamoDB only: the embedded store keeps its data on the function's local disk, which Lambda discards; set AME_STORE=dynamodb"
                )
            }
            let lambda = configuration.lambda
            guard configuration.requiresCredentials || lambda.trustedClaims != nil || lambda.trustsInvoker else {
                throw .refused(
                    "refusing to serve Lambda invocations without authentication: set AME_API_KEYS_FILE or AME_JWT_SECRET, or AME_LAMBDA_TRUSTED_CLAIMS behind an authorizer, or AME_LAMBDA_TRUST_INVOKER for direct invocations"
                )
            }
        case .administer:
            break
        }
    }

    /// Applies the table policy. The embedded store creates its tables itself unless they are
    /// left alone; on DynamoDB they are made by `ame tables create` (or ``TablePolicy/create``).
    static func prepareTables(
        of engine: GraphQLEngine, _ policy: TablePolicy, _ configuration: AMEConfiguration
    ) async throws {
        do {
            switch (configuration.store, policy) {
            case (_, .leave): return
            case (.embedded, _), (.dynamodb, .create): try await engine.createTables()
            case (.dynamodb, .requireExisting):
                try await engine.checkTables()
                let existing = Set(try await engine.store.listTables())
                let missing = engine.registry.tableDefinitions.map(\.name).filter { !existing.contains($0) }
                guard missing.isEmpty else {
                    let endpoint = configuration.dynamoDB.map { "\($0.endpoint)" } ?? "?"
                    throw AMEStartError.refused(
                        "DynamoDB at \(endpoint) lacks the tables \(missing.joined(separator: ", ")): run `ame tables create --store dynamodb`"
                    )
                }
            }
        } catch let error as StoreError {
            // A mismatch names every table with its expected and found keys.
            if case .tableMismatch = error { throw AMEStartError.refused(error.description) }
            throw error
        }
    }
}
