import AMERuntime
import AMEServer
import Foundation
import LibraryGenerated

// A service built on AME from another package: its own schema, AME's runtime and HTTP layer.
let environment = ProcessInfo.processInfo.environment
let host = environment["LIBRARY_HOST"] ?? "127.0.0.1"
let port = Int(environment["LIBRARY_PORT"] ?? "") ?? 8081
let dataDir = environment["LIBRARY_DATA_DIR"] ?? ".library-data"

try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
let engine = try GraphQLEngine(
    registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: "\(dataDir)/library.sqlite"))
try await engine.createTables()
try await AMEService.serve(engine: engine, host: host, port: port)
