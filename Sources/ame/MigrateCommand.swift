import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// `ame migrate from-original` and `ame migrate verify`: copy the original service's DynamoDB
/// tables into AME's and compare the two sides (docs/OPERATIONS.md, "Migrating from the original").
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the original service's tables into AME's, and verify the copy.",
        subcommands: [FromOriginal.self, Verify.self])

    /// Options of both subcommands.
    struct SourceOptions: ParsableArguments {
        @Option(help: "Table prefix of the original's tables (on the DynamoDB of the AWS_* settings).")
        var fromPrefix = "ame-"

        @Option(help: "Parallel Scan segments per table.")
        var segments = 4

        @Option(help: "Items per Scan page; one checkpoint per page.")
        var pageSize = 100

        @Option(help: "Tenant (`endpoint#part`) of audit records no single tenant's entity has.")
        var unassignedTenant = "ame-migration#unassigned"

        @Option(help: "Seconds one DynamoDB request may keep backing off on throttling before the run stops.")
        var retryDeadline = 300

        func migration(target application: AMEApplication) throws -> OriginalMigration {
            guard (1...64).contains(segments) else { throw ValidationError("--segments must be from 1 to 64") }
            guard (1...1000).contains(pageSize) else { throw ValidationError("--page-size must be from 1 to 1000") }
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
                    segments: segments, pageSize: pageSize,
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
            case .samePrefix: throw ExitCode(64)  // EX_USAGE
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
            let report = try await Migrate.reporting { try await migration.verify() }
            for line in report.lines { print(line) }
            guard report.isEqual else {
                print("ame migrate verify: \(report.differenceCount) differences; the first ones:")
                for difference in report.differences { print("  " + difference) }
                throw ExitCode(1)
            }
            print("ame migrate verify: equal: \(report.expectedItems) items on both sides")
        }
    }
}
