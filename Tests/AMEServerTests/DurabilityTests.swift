import AMERuntime
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An acknowledged write survives the writer being killed at any moment.
@Suite(.serialized) struct DurabilityTests {
    @Test func everyAcknowledgedWriteSurvivesSIGKILLTwentyTimes() async throws {
        guard let binary = ServeProcessTests.binary else {
            #expect(!ServeProcessTests.integrationRequired, "the ame binary was not built next to the tests")
            print("DurabilityTests: skipped, the ame binary is missing")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ame-durability-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SystemRandomNumberGenerator()
        var totalAcknowledged = 0
        for round in 0..<20 {
            let writer = Process()
            writer.executableURL = binary
            writer.arguments = ["durability-writer", "--data-dir", folder.path]
            writer.environment = ProcessCoverage.environment()
            let output = Pipe()
            writer.standardOutput = output
            writer.standardError = FileHandle.nullDevice
            try writer.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...400, using: &generator)))
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let acknowledged = text.split(separator: "\n").compactMap { line in
                line.hasPrefix("ack ") ? Int(line.dropFirst(4)) : nil
            }
            totalAcknowledged += acknowledged.count

            let store = try SQLiteStore(path: folder.appendingPathComponent("ame.sqlite").path)
            let keys = acknowledged.flatMap { number in
                ["a\(number)", "b\(number)"].map {
                    TableKey(table: "durability", key: ItemKey(partition: "d#default", sort: $0))
                }
            }
            var found = 0
            for start in stride(from: 0, to: keys.count, by: 100) {
                found += try await store.batchGetItem(Array(keys[start..<min(start + 100, keys.count)])).count
            }
            #expect(found == keys.count, "round \(round): \(keys.count - found) acknowledged items lost")
            // Atomicity: the two items of a transaction exist together.
            let page = try await store.query(QueryRequest(table: "durability", partition: "d#default", countOnly: true))
            #expect(page.count % 2 == 0, "round \(round): a transaction was half applied")
        }
        #expect(totalAcknowledged > 0)
    }
}
