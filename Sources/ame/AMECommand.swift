import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation
import Logging

/// `ame`: serve the generated GraphQL API, seed sample data, manage tables, print the SDL.
@main
struct AMECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ame",
        abstract: "A schema-first GraphQL service over DynamoDB or an embedded store.",
        subcommands: [
            Serve.self, Lambda.self, Seed.self, Tables.self, Migrate.self, Keys.self, PrintSchema.self,
            Operations.self, DurabilityWriter.self,
        ]
    )

    /// Loads the settings (environment over `.env` over defaults) before the command line is
    /// parsed, since the flags' defaults come from them.
    static func main() async {
        do {
            loadedSettings = try await Settings.load()
        } catch {
            FileHandle.standardError.write(Data("ame: cannot read .env: \(error)\n".utf8))
            Foundation.exit(1)
        }
        // Lambda runs a custom runtime's executable as `bootstrap`.
        let name = URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent
        if name == "bootstrap", environment("AWS_LAMBDA_RUNTIME_API") != nil {
            await main(["lambda"])
        } else {
            await main(nil)
        }
    }
}

/// The effective settings: the environment over `.env` over defaults (see `Settings`).
nonisolated(unsafe) var loadedSettings: [String: String] = [:]

/// Reads a setting (flags override it).
func environment(_ name: String) -> String? {
    loadedSettings[name].flatMap { $0.isEmpty ? nil : $0 }
}

/// Every invalid setting, each with how to fix it; `nil` when all are valid.
func settingsProblems() -> String? {
    let problems = Settings.problems(loadedSettings)
    return problems.isEmpty ? nil : "invalid settings:\n  " + problems.joined(separator: "\n  ")
}

/// Stops with every invalid setting listed, each with how to fix it.
func checkSettings() throws {
    if let problems = settingsProblems() {
        FileHandle.standardError.write(Data("ame: \(problems)\n".utf8))
        throw ExitCode(78)  // EX_CONFIG
    }
}

/// The tenancy of `AME_API_KEYS_FILE` and `AME_JWT_SECRET` (the development tenancy without either).
func configuredTenants() async throws -> TenantResolver {
    var apiKeys: [String: Tenant] = [:]
    if let path = environment("AME_API_KEYS_FILE") {
        do {
            apiKeys = try TenantResolver.readKeysFile(path)
        } catch {
            throw ValidationError("AME_API_KEYS_FILE: \(error)")
        }
    }
    return await TenantResolver(apiKeys: apiKeys, jwtSecret: environment("AME_JWT_SECRET"))
}

/// Options shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Folder of the embedded store (env AME_DATA_DIR).")
    var dataDir: String = environment("AME_DATA_DIR") ?? ".ame"

    @Option(help: "embedded or dynamodb (env AME_STORE).")
    var store: String = environment("AME_STORE") ?? "embedded"

    /// What opening the store does about the schema's tables.
    enum TablePolicy {
        /// Create missing tables (idempotent).
        case create
        /// Refuse to continue if a table is missing (DynamoDB; the embedded store always creates).
        case requireExisting
        /// Leave them alone (`ame tables list|delete`).
        case leave
    }

    /// Opens the configured store. The embedded store creates its tables itself; on DynamoDB they
    /// are made by `ame tables create`.
    func openEngine(tables policy: TablePolicy, keys: KeyGenerator = .random) async throws -> GraphQLEngine {
        try checkSettings()
        var registry = AMESchemaRegistry.registry
        if let prefix = environment("AME_TABLE_PREFIX") { registry = registry.withTablePrefix(prefix) }
        let limits = QueryLimits(settings: loadedSettings)
        var tenantLimits: [String: TenantLimits] = [:]
        if let text = environment("AME_TENANT_LIMITS") {
            do {
                tenantLimits = try TenantLimits.parse(text)
            } catch {
                throw ValidationError(error.message)
            }
        }
        // Instances behind one address must share it, or a token from one is refused by another.
        let pageTokens = environment("AME_TOKEN_SECRET").map(PageTokenSigner.init(secret:)) ?? .random()
        // One set of metric handles for the cache, the store and the engine (after the process's
        // metrics backend is bootstrapped).
        let metrics = RuntimeMetrics()
        // Every process that writes invalidates the cache, so seeding a served store is safe too.
        let cache: HybridCache?
        do {
            cache = try CacheConfiguration.fromEnvironment(loadedSettings).map {
                HybridCache(configuration: $0, registry: registry, metrics: metrics)
            }
        } catch {
            throw ValidationError(error.description)
        }
        let persisted = try persistedOperationsConfiguration()
        let uploads: S3UploadURLSigner?
        do {
            uploads = try S3UploadURLSigner.fromEnvironment(loadedSettings)
        } catch {
            throw ValidationError(error.description)
        }
        cache?.start()
        switch store {
        case "embedded":
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            let engine = try GraphQLEngine(
                registry: registry, store: try SQLiteStore(path: "\(dataDir)/ame.sqlite"), limits: limits,
                tenantLimits: tenantLimits, keys: keys, pageTokens: pageTokens, cache: cache,
                introspection: Settings.flag("AME_INTROSPECTION", in: loadedSettings),
                uploadSigner: uploads, persistedOperations: persisted, metrics: metrics)
            if policy != .leave { try await Self.refusingMismatchedTables { try await engine.createTables() } }
            return engine
        case "dynamodb":
            let configuration = try DynamoDBConfiguration.fromEnvironment(loadedSettings)
            let backend = DynamoDBStore(
                configuration: configuration, tables: registry.tableDefinitions, metrics: metrics)
            let engine = try GraphQLEngine(
                registry: registry, store: backend, limits: limits, tenantLimits: tenantLimits, keys: keys,
                pageTokens: pageTokens, cache: cache,
                introspection: Settings.flag("AME_INTROSPECTION", in: loadedSettings),
                uploadSigner: uploads, persistedOperations: persisted, metrics: metrics)
            switch policy {
            case .create:
                try await Self.refusingMismatchedTables { try await engine.createTables() }
            case .leave:
                break
            case .requireExisting:
                try await Self.refusingMismatchedTables { try await engine.checkTables() }
                let existing = Set(try await backend.listTables())
                let missing = registry.tableDefinitions.map(\.name).filter { !existing.contains($0) }
                guard missing.isEmpty else {
                    throw ValidationError(
                        "DynamoDB at \(configuration.endpoint) lacks the tables \(missing.joined(separator: ", ")): run `ame tables create --store dynamodb`"
                    )
                }
            }
            return engine
        default:
            throw ValidationError("unknown store `\(store)`: use `embedded` or `dynamodb`")
        }
    }

    /// Runs a table check, turning a mismatch into the command's error (the message names every
    /// table with its expected and found keys).
    static func refusingMismatchedTables(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as StoreError {
            if case .tableMismatch = error { throw ValidationError(error.description) }
            throw error
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the GraphQL API over HTTP.")

    @Option(help: "Address to bind (env AME_HOST).")
    var host: String = environment("AME_HOST") ?? "127.0.0.1"

    @Option(help: "Port to bind (env AME_PORT).")
    var port: Int = Settings.integer("AME_PORT", in: loadedSettings)

    @Flag(help: "Print the effective settings (secrets hidden) and exit.")
    var printConfig = false

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        if printConfig {
            var effective = loadedSettings
            effective["AME_HOST"] = host
            effective["AME_PORT"] = String(port)
            effective["AME_DATA_DIR"] = storeOptions.dataDir
            effective["AME_STORE"] = storeOptions.store
            print(Settings.printable(effective), terminator: "")
            try checkSettings()
            return
        }
        try checkSettings()
        let tenants = try await configuredTenants()
        guard tenants.requiresCredentials || TenantResolver.isLoopback(host) else {
            throw ValidationError(
                "refusing to serve on \(host) without authentication: bind to 127.0.0.1, or set AME_API_KEYS_FILE or AME_JWT_SECRET"
            )
        }
        let cors: CORSPolicy?
        do {
            cors = try CORSPolicy(settings: loadedSettings)
        } catch {
            throw ValidationError(error.description)
        }
        let metrics = Observability.bootstrap(
            level: Logger.Level(rawValue: environment("AME_LOG_LEVEL") ?? "info") ?? .info)
        let engine = try await storeOptions.openEngine(tables: .requireExisting)
        try await AMEService.serve(
            engine: engine, host: host, port: port, tenants: tenants,
            banner: " (store: \(storeOptions.store), data: \(storeOptions.dataDir))",
            limits: ServerLimits(settings: loadedSettings), metrics: metrics, cors: cors,
            shutdownTimeout: .seconds(Settings.integer("AME_SHUTDOWN_TIMEOUT", in: loadedSettings)))
    }
}

/// `ame lambda`: serves Lambda invocations through the Runtime API at `AWS_LAMBDA_RUNTIME_API`,
/// with the same engine and router as `ame serve`. A failed start is reported to `init/error`
/// with the message `ame serve` would print.
struct Lambda: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve AWS Lambda invocations (API Gateway, Function URL, direct) through the Runtime API.")

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        guard let runtimeAPI = environment("AWS_LAMBDA_RUNTIME_API") else {
            throw ValidationError(
                "AWS_LAMBDA_RUNTIME_API is not set: `ame lambda` runs inside AWS Lambda (or its emulator)")
        }
        let options = AMELambda.Options(settings: loadedSettings)
        let runtime: LambdaRuntimeClient
        do {
            runtime = try LambdaRuntimeClient(runtimeAPI: runtimeAPI, maxEventBytes: options.maxEventBytes)
        } catch {
            throw ValidationError(error.message)
        }
        let metrics = Observability.bootstrap(
            level: Logger.Level(rawValue: environment("AME_LOG_LEVEL") ?? "info") ?? .info)
        let logger = Logger(label: "ame.lambda")
        let handler: AMELambda.Handler
        do {
            let (engine, tenants) = try await start(options: options)
            handler = AMELambda.Handler(
                engine: engine, tenants: tenants, limits: ServerLimits(settings: loadedSettings), metrics: metrics,
                options: options)
        } catch {
            let message: String
            switch error {
            case let error as LambdaFunctionError: message = error.message
            case let error as ValidationError: message = error.message
            default: message = "\(error)"
            }
            FileHandle.standardError.write(Data("ame: \(message)\n".utf8))
            _ = try? await runtime.initFailed(LambdaFunctionError(type: "AME.InitError", message: message))
            await runtime.shutdown()
            throw ExitCode(78)
        }
        // The start line tells scripts and tests that initialization is over.
        FileHandle.standardOutput.write(
            Data("ame: serving Lambda invocations from \(runtimeAPI) (store: dynamodb)\n".utf8))
        do {
            try await AMELambda.run(handler: handler, runtime: runtime, logger: logger)
        } catch {
            logger.critical("the Runtime API failed", metadata: ["error": "\(error)"])
            await runtime.shutdown()
            throw ExitCode(1)
        }
    }

    /// What `ame serve` checks before it serves, plus what Lambda needs: DynamoDB and a credential.
    func start(options: AMELambda.Options) async throws -> (GraphQLEngine, TenantResolver) {
        if let problems = settingsProblems() { throw ValidationError(problems) }
        guard storeOptions.store == "dynamodb" else {
            throw ValidationError(
                "ame lambda serves DynamoDB only: the embedded store keeps its data on the function's local disk, which Lambda discards; set AME_STORE=dynamodb"
            )
        }
        let tenants = try await configuredTenants()
        guard tenants.requiresCredentials || options.trustedClaims != nil || options.trustsInvoker else {
            throw ValidationError(
                "refusing to serve Lambda invocations without authentication: set AME_API_KEYS_FILE or AME_JWT_SECRET, or AME_LAMBDA_TRUSTED_CLAIMS behind an authorizer, or AME_LAMBDA_TRUST_INVOKER for direct invocations"
            )
        }
        return (try await storeOptions.openEngine(tables: .requireExisting), tenants)
    }
}

/// `ame keys add`: makes a new API key for a tenant and prints the line for the keys file.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make API keys for AME_API_KEYS_FILE.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new API key for a tenant.")

        @Option var endpointId: String
        @Option var partId = "default"
        @Option(help: "Append the key's line to this keys file.") var file: String?

        func run() throws {
            // The ids go into a line of spaces-separated fields and into the partition key: one
            // that could change either's meaning (`#`, a space, a newline) is refused.
            for (flag, id) in [("--endpoint-id", endpointId), ("--part-id", partId)] {
                if let problem = Identifiers.tenantIdProblem(id) { throw ValidationError("\(flag) \(problem)") }
            }
            var bytes = [UInt8](repeating: 0, count: 32)
            var generator = SystemRandomNumberGenerator()
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
            let key = "ame_" + bytes.map { String(format: "%02x", $0) }.joined()
            let line = "\(TenantResolver.hash(key)) \(endpointId) \(partId)\n"
            if let file {
                if !FileManager.default.fileExists(atPath: file) {
                    FileManager.default.createFile(atPath: file, contents: nil)
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(line.utf8))
                try handle.close()
                print("ame: the key's hash was added to \(file); the key (shown once): \(key)")
            } else {
                print("key (shown once): \(key)")
                print("keys file line:   \(line)", terminator: "")
            }
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load deterministic sample data through the write path.")

    @Option(help: "Tenant endpoint id.") var endpointId: String = environment("AME_SEED_ENDPOINT_ID") ?? "dev"
    @Option(help: "Tenant part id.") var partId: String = "default"
    @Option var corporations = 10
    @Option var places = 50
    @Option var contacts = 100
    @Option var requests = 100
    @Option(help: "Seed of the generator.") var seed: UInt64 = 42
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        // Seeded keys: the same sample data, keys included, on every machine and store.
        let engine = try await storeOptions.openEngine(tables: .requireExisting, keys: .seeded(seed))
        let sample = SampleData(
            corporations: corporations, places: places, contacts: contacts, requests: requests, seed: seed)
        let keys: SampleData.Keys
        do {
            keys = try await sample.load(into: engine, tenant: Tenant(endpointId: endpointId, partId: partId))
        } catch let error as SampleData.SeedError where error.alreadySeeded {
            print("ame: tenant \(endpointId)#\(partId) already holds the sample data of seed \(seed); nothing to do")
            return
        }
        print(
            "ame: seeded tenant \(endpointId)#\(partId): \(keys.corporations.count) corporations, \(keys.places.count) places, \(keys.contacts.count) contacts, \(keys.requests.count) requests"
        )
    }
}

struct Tables: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, delete or list the schema's tables, or print them as CloudFormation resources.")

    @Argument(help: "create, delete, list, or template (the CloudFormation resources of the tables)")
    var action: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        if action == "template" {
            // Names come from the stack's `TablePrefix` parameter, not from AME_TABLE_PREFIX.
            print(TableTemplate.render(AMESchemaRegistry.registry), terminator: "")
            return
        }
        let engine = try await storeOptions.openEngine(tables: action == "create" ? .create : .leave)
        switch action {
        case "create":
            try await engine.createTables()
            for table in engine.registry.tableDefinitions { print("ame: table \(table.name) ready") }
        case "delete":
            for table in engine.registry.tableDefinitions {
                try await engine.store.deleteTable(named: table.name)
                print("ame: table \(table.name) deleted")
            }
        case "list":
            for name in try await engine.store.listTables() { print(name) }
        default:
            throw ValidationError("unknown action `\(action)`: use create, delete, list or template")
        }
    }
}

struct PrintSchema: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Print the GraphQL SDL.")

    func run() {
        print(AMESchemaRegistry.sdl, terminator: "")
    }
}

/// Writes numbered items to the embedded store as fast as it can, printing `ack N` after each
/// committed transaction. The durability test kills it with SIGKILL at a random moment and
/// checks that every acknowledged item survived.
struct DurabilityWriter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durability-writer", abstract: "Write and acknowledge items until killed (for tests).",
        shouldDisplay: false)

    @Option var dataDir: String
    @Option var count = 1_000_000

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: "\(dataDir)/ame.sqlite")
        let table = TableDefinition(name: "durability", sortAttribute: "id")
        try await store.createTable(table)
        let output = FileHandle.standardOutput
        for number in 0..<count {
            // Two items per transaction: after a crash both exist or neither does.
            try await store.transactWriteItems([
                .put(
                    table: table.name, item: [tenantAttribute: "d#default", "id": .string("a\(number)")], condition: nil
                ),
                .put(
                    table: table.name, item: [tenantAttribute: "d#default", "id": .string("b\(number)")], condition: nil
                ),
            ])
            output.write(Data("ack \(number)\n".utf8))
        }
    }
}
