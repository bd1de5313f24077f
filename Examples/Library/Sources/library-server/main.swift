import AMEServer
import Foundation
import LibraryGenerated

// A service built on AME from another package: its own schema, AME's runtime, HTTP layer and
// settings (AME_STORE, AME_CACHE_*, AME_API_KEYS_FILE, AME_JWT_SECRET, … as `ame serve` reads them).
// It creates its tables on start, on the embedded store and on DynamoDB alike.
do {
    let configuration = try await AMEConfiguration.load()
    try await AMEApplication.serve(registry: AMESchemaRegistry.registry, configuration: configuration, tables: .create)
} catch let error as AMEStartError {
    // Every invalid setting at once, or why the start is refused, each with how to fix it.
    FileHandle.standardError.write(Data("library-server: \(error)\n".utf8))
    exit(78)  // EX_CONFIG
}
