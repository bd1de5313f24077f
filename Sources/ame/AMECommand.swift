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
        subcommands: [
            Serve.self, Lambda.self, Seed.self, Tables.self, Migrate.self, Keys.self, PrintSchema.self,
            Operations.self, DurabilityWriter.self,
        ]
    )

    static func main() async {
        // Lambda runs a custom runtime's executable as `bootstrap`, with the Runtime API's address.
        let name = URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent
        if name == "bootstrap", ProcessInfo.processInfo.environment["AWS_LAMBDA_RUNTIME_API"] != nil {
            await main(["lambda"])
        } else {
            await main(nil)
        }
    }
}

/// The configuration of a command: the effective settings (environment over `.env` over
/// defaults) with the command's flags over them.
func commandConfiguration(_ flags: [String: String?]) async throws -> AMEConfiguration {
    var settings: [String: String]
    do {
        settings = try await Settings.load()
    } catch {
        FileHandle.standardError.write(Data("ame: cannot read .env: \(error)\n".utf8))
        throw ExitCode(1)
    }
    for case (let name, let value?) in flags { settings[name] = value }
    return AMEConfiguration(settings: settings)
}

/// Runs a command's start, rendering a refused start: invalid settings are listed on standard
/// error with exit status 78 (EX_CONFIG), any other refusal is a usage error with its message.
func reportingStart<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as AMEStartError {
        switch error {
        case .invalidSettings:
            FileHandle.standardError.write(Data("ame: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        case .refused(let message):
            throw ValidationError(message)
        }
    }
}

/// Options shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Folder of the embedded store (env AME_DATA_DIR, default .ame).")
    var dataDir: String?

    @Option(help: "embedded or dynamodb (env AME_STORE, default embedded).")
    var store: String?

    /// The command's configuration, these options and `flags` over the settings.
    func configuration(_ flags: [String: String?] = [:]) async throws -> AMEConfiguration {
        if let store, AMEConfiguration.StoreKind(rawValue: store) == nil {
            throw ValidationError("unknown store `\(store)`: use `embedded` or `dynamodb`")
        }
        return try await commandConfiguration(
            flags.merging(["AME_DATA_DIR": dataDir, "AME_STORE": store]) { $1 })
    }

    /// The application of the configured store, for a command that opens it and exits.
    func open(
        tables policy: AMEApplication.TablePolicy, keys: KeyGenerator = .random
    ) async throws -> AMEApplication {
        let configuration = try await configuration()
        return try await reportingStart {
            try await AMEApplication.build(
                registry: AMESchemaRegistry.registry, configuration: configuration, tables: policy, keys: keys)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the GraphQL API over HTTP.")

    @Option(help: "Address to bind (env AME_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to bind (env AME_PORT, default 8080).")
    var port: Int?

    @Flag(help: "Print the effective settings (secrets hidden) and exit.")
    var printConfig = false

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let configuration = try await storeOptions.configuration(["AME_HOST": host, "AME_PORT": port.map(String.init)])
        if printConfig {
            print(Settings.printable(configuration.settings), terminator: "")
            _ = try await reportingStart { try configuration.validated() }
            return
        }
        try await reportingStart {
            try await AMEApplication.serve(registry: AMESchemaRegistry.registry, configuration: configuration)
        }
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
        let configuration = try await storeOptions.configuration()
        do {
            try await AMEApplication.runLambda(registry: AMESchemaRegistry.registry, configuration: configuration)
        } catch let error as AMEStartError {
            FileHandle.standardError.write(Data("ame: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        } catch {
            throw ExitCode(1)
        }
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

    @Option(help: "Tenant endpoint id (env AME_SEED_ENDPOINT_ID, default dev).") var endpointId: String?
    @Option(help: "Tenant part id.") var partId: String = "default"
    @Option var corporations = 10
    @Option var places = 50
    @Option var contacts = 100
    @Option var requests = 100
    @Option(help: "Seed of the generator.") var seed: UInt64 = 42
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        // Seeded keys: the same sample data, keys included, on every machine and store.
        let application = try await storeOptions.open(tables: .requireExisting, keys: .seeded(seed))
        let engine = application.engine
        let endpointId = endpointId ?? application.configuration.settings["AME_SEED_ENDPOINT_ID"] ?? "dev"
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
    @Option(
        help:
            "With delete: only this table, one the schema does not use (an entity's table before a layout change).")
    var table: String?
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        guard table == nil || action == "delete" else { throw ValidationError("--table goes with `delete` only") }
    }

    func run() async throws {
        if action == "template" {
            // Names come from the stack's `TablePrefix` parameter, not from AME_TABLE_PREFIX.
            print(TableTemplate.render(AMESchemaRegistry.registry), terminator: "")
            return
        }
        let engine = try await storeOptions.open(tables: action == "create" ? .create : .leave).engine
        switch action {
        case "create":
            try await engine.createTables()
            for table in engine.registry.tableDefinitions { print("ame: table \(table.name) ready") }
        case "delete" where table != nil:
            let name = table!
            guard !engine.registry.tableDefinitions.contains(where: { $0.name == name }) else {
                throw ValidationError(
                    "`\(name)` is a table of the schema: `ame tables delete` without --table deletes the schema's tables"
                )
            }
            guard try await engine.store.describeTable(named: name) != nil else {
                throw ValidationError("there is no table `\(name)` in this store (see `ame tables list`)")
            }
            try await engine.store.deleteTable(named: name)
            print("ame: table \(name) deleted")
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
