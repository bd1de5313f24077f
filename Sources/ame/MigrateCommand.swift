import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// `ame migrate from-original` and `ame migrate verify`: copy the original service's DynamoDB
/// tables into AME's and compare the two sides (docs/OPERATIONS.md, "Migrating from the original").
/// `ame migrate layout`: copy an entity's old table into its table of another layout, or backfill
/// its composed index attributes in place (docs/OPERATIONS.md, "Changing an entity's layout").
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the original service's tables into AME's, or an entity's table into another layout; verify.",
        subcommands: [FromOriginal.self, Verify.self, Layout.self])

    /// How the source is read: by every subcommand.
    struct ScanOptions: ParsableArguments {
        @Option(help: "Parallel Scan segments per table.")
        var segments = 4

        @Option(help: "Items per Scan page; one checkpoint per page.")
        var pageSize = 100

        func validate() throws {
            guard (1...64).contains(segments) else { throw ValidationError("--segments must be from 1 to 64") }
            guard (1...1000).contains(pageSize) else { throw ValidationError("--page-size must be from 1 to 1000") }
        }
    }

    /// Options of `from-original` and `verify`.
    struct SourceOptions: ParsableArguments {
        @Option(help: "Table prefix of the original's tables (on the DynamoDB of the AWS_* settings).")
        var fromPrefix = "ame-"

        @OptionGroup var scan: ScanOptions

        @Option(help: "Tenant (`endpoint#part`) of audit records no single tenant's entity has.")
        var unassignedTenant = "ame-migration#unassigned"

        @Option(help: "Seconds one DynamoDB request may keep backing off on throttling before the run stops.")
        var retryDeadline = 300

        func migration(target application: AMEApplication) throws -> OriginalMigration {
            guard (1...86_400).contains(retryDeadline) else {
                throw ValidationError("--retry-deadline must be from 1 to 86400 seconds")
            }
            let parts = unassignedTenant.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--unassigned-tenant must be `endpoint#part`, e.g. ame-migration#unassigned")
            }
            var configuration: DynamoDBConfiguration
            do {
                configuration = try application.configuration.requiredDynamoDB()
            } catch {
                guard case .invalidSettings(let problems) = error else { throw ValidationError("\(error)") }
                throw ValidationError("the original's DynamoDB: \(problems.joined(separator: "; "))")
            }
            configuration.retry.deadline = .seconds(retryDeadline)
            let source = DynamoDBStore(configuration: configuration, tables: [])
            let standardError = FileHandle.standardError
            return OriginalMigration(
                source: source, sourcePrefix: fromPrefix, target: application.engine,
                options: .init(
                    segments: scan.segments, pageSize: scan.pageSize,
                    unassignedTenant: Tenant(endpointId: String(parts[0]), partId: String(parts[1]))),
                log: { standardError.write(Data(($0 + "\n").utf8)) })
        }
    }

    /// Runs a migration step, turning its errors into messages and exit codes.
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MigrationError {
            FileHandle.standardError.write(Data("ame migrate: \(error)\n".utf8))
            switch error {
            case .samePrefix, .unknownEntity, .nothingToBackfill: throw ExitCode(64)  // EX_USAGE
            case .missingTable: throw ExitCode(66)  // EX_NOINPUT
            case .cannotRead: throw ExitCode(77)  // EX_NOPERM
            default: throw ExitCode(65)  // EX_DATAERR
            }
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("ame migrate: \(error)\n".utf8))
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
    }

    struct FromOriginal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-original",
            abstract: "Copy (or resume, or bring up to date) the original's data into AME's tables.")

        @OptionGroup var source: SourceOptions
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let migration = try source.migration(target: try await storeOptions.open(tables: .leave))
            let report = try await Migrate.reporting { try await migration.run() }
            for line in report.lines { print(line) }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the original's tables with AME's per table and tenant; exit 1 on any difference.")

        @OptionGroup var source: SourceOptions
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let migration = try source.migration(target: try await storeOptions.open(tables: .leave))
            try Migrate.conclude(try await Migrate.reporting { try await migration.verify() })
        }
    }

    struct Layout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy an entity's items from its old table into its table as the schema declares it.",
            discussion: """
                Reads --from-table (a table of the configured store: embedded, or the DynamoDB of the \
                AWS_* settings) and writes each item into the entity's table (created when missing) with \
                the composed attributes of its global indexes. Resumable: a killed run continues from its \
                checkpoints; a run after a finished one writes only what differs. A target item of a \
                higher `version` than the source's (written by a live service) is kept; nothing is \
                deleted. Without --from-table, backfills the entity's own table in place: items written \
                before a global index was declared get its composed attribute. --verify compares the two \
                tables and exits 1 on a difference.
                """)

        @Option(help: "The entity, as named in its YAML (ContactProfile).")
        var entity: String

        @Option(
            help:
                "Physical name of the table to copy from (the entity's old table); default: its own table, backfilled in place."
        )
        var fromTable: String?

        @Flag(help: "Compare the tables item by item instead of copying; exit 1 on any difference.")
        var verify = false

        @OptionGroup var scan: ScanOptions
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let application = try await storeOptions.open(tables: .leave)
            let standardError = FileHandle.standardError
            let migration = try await Migrate.reporting {
                try LayoutMigration(
                    engine: application.engine, entity: entity, from: fromTable,
                    options: .init(segments: scan.segments, pageSize: scan.pageSize),
                    log: { standardError.write(Data(($0 + "\n").utf8)) })
            }
            guard verify else {
                let report = try await Migrate.reporting { try await migration.run() }
                for line in report.lines { print(line) }
                return
            }
            try Migrate.conclude(try await Migrate.reporting { try await migration.verify() })
        }
    }

    /// Prints a verification's counts and first differences; exits 1 on a difference.
    static func conclude(_ report: VerificationReport) throws {
        for line in report.lines { print(line) }
        guard report.isEqual else {
            print("ame migrate verify: \(report.differenceCount) differences; the first ones:")
            for difference in report.differences { print("  " + difference) }
            throw ExitCode(1)
        }
        print("ame migrate verify: equal: \(report.expectedItems) items on both sides")
    }
}
