import AMERuntime
import Foundation

/// The embedded store as `ame serve` runs it (a file: WAL, a pool of reader connections) in a
/// fresh temporary folder, for one benchmark run; ``remove()`` deletes the folder.
struct BenchmarkStore {
    let folder: URL
    let store: SQLiteStore

    init() throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "ame-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appending(path: "ame.sqlite").path)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
