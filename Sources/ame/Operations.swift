import AMEGenerated
import AMERuntime
import AMEServer
import ArgumentParser
import Foundation

/// `ame operations manifest`: the build step of the allow-list mode. It checks `.graphql` files
/// against the schema and writes their Apollo persisted-query manifest, which the server loads
/// with `AME_PERSISTED_QUERIES=allow-list` and `AME_PERSISTED_QUERIES_FILE`.
struct Operations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Persisted operations for AME_PERSISTED_QUERIES=allow-list.", subcommands: [Manifest.self])

    struct Manifest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check .graphql files against the schema and write their persisted-query manifest.")

        @Argument(help: ".graphql files, or folders searched for them.") var paths: [String]
        @Option(help: "Write the manifest to this file (default: standard output).") var output: String?

        func run() throws {
            let files = try Self.graphQLFiles(paths)
            guard !files.isEmpty else { throw ValidationError("no .graphql files in \(paths.joined(separator: " "))") }
            let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
            let manifest: String
            do {
                manifest = try engine.persistedOperationsManifest(files)
            } catch {
                FileHandle.standardError.write(Data("ame: \(error.message)\n".utf8))
                throw ExitCode.failure
            }
            guard let output else { return print(manifest, terminator: "") }
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            print("ame: \(files.count) operations written to \(output)")
        }

        /// The files' paths and texts, folders expanded (sorted, so the manifest is the same on every machine).
        static func graphQLFiles(_ paths: [String]) throws -> [(name: String, text: String)] {
            var found: [String] = []
            for path in paths {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                    throw ValidationError("\(path) does not exist")
                }
                if isFolder.boolValue {
                    let entries = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
                    found += entries.filter { $0.hasSuffix(".graphql") }.sorted().map { "\(path)/\($0)" }
                } else {
                    found.append(path)
                }
            }
            return try found.map { ($0, try String(contentsOfFile: $0, encoding: .utf8)) }
        }
    }
}
