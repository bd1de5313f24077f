import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// `ame`: serve the generated GraphQL API, seed sample data, manage tables, print the SDL.
@main
struct AMECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ame",
        abstract: "A schema-first GraphQL service over DynamoDB or an embedded store.",
        subcommands: [Serve.self, Seed.self, Tables.self, PrintSchema.self]
    )
}

/// Reads a setting from the environment (flags override it).
func environment(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

/// Options shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Folder of the embedded store (env AME_DATA_DIR).")
    var dataDir: String = environment("AME_DATA_DIR") ?? ".ame"

    @Option(help: "embedded or dynamodb (env AME_STORE).")
    var store: String = environment("AME_STORE") ?? "embedded"

    func openEngine() async throws -> GraphQLEngine {
        guard store == "embedded" else {
            throw ValidationError("--store \(store) is not available yet; use --store embedded")
        }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let backend = try SQLiteStore(path: "\(dataDir)/ame.sqlite")
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: backend,
            limits: QueryLimits(
                maxComplexity: Int(environment("AME_MAX_COMPLEXITY") ?? "") ?? 1000,
                maxDepth: Int(environment("AME_MAX_DEPTH") ?? "") ?? 10))
        // The embedded store creates its tables on open; DynamoDB's are made by `ame tables create`.
        try await engine.createTables()
        return engine
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the GraphQL API over HTTP.")

    @Option(help: "Address to bind (env AME_HOST).")
    var host: String = environment("AME_HOST") ?? "127.0.0.1"

    @Option(help: "Port to bind (env AME_PORT).")
    var port: Int = Int(environment("AME_PORT") ?? "") ?? 8080

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        guard TenantResolver.isLoopback(host) else {
            throw ValidationError(
                "refusing to serve on \(host) without authentication: bind to 127.0.0.1, or configure API keys or JWT")
        }
        let engine = try await storeOptions.openEngine()
        try await AMEService.serve(
            engine: engine, host: host, port: port,
            banner: " (store: \(storeOptions.store), data: \(storeOptions.dataDir))")
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
        let engine = try await storeOptions.openEngine()
        let sample = SampleData(
            corporations: corporations, places: places, contacts: contacts, requests: requests, seed: seed)
        let keys = try await sample.load(into: engine, tenant: Tenant(endpointId: endpointId, partId: partId))
        print(
            "ame: seeded tenant \(endpointId)#\(partId): \(keys.corporations.count) corporations, \(keys.places.count) places, \(keys.contacts.count) contacts, \(keys.requests.count) requests"
        )
    }
}

struct Tables: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, delete or list the schema's tables.")

    @Argument(help: "create, delete or list") var action: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let engine = try await storeOptions.openEngine()
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
            throw ValidationError("unknown action `\(action)`: use create, delete or list")
        }
    }
}

struct PrintSchema: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Print the GraphQL SDL.")

    func run() {
        print(AMESchemaRegistry.sdl, terminator: "")
    }
}
