import AMESchema
import Foundation
import Testing

/// Every bad schema in `Fixtures/invalid/<case>/` fails with exactly the diagnostics in its
/// `expected.txt` (message, fix, file, line and column). `AME_RECORD_FIXTURES=1` rewrites them.
@Suite struct InvalidSchemaTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/invalid")

    static let cases: [String] = {
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
    }()

    @Test func thereAreAtLeastTwentyFiveCases() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func theSchemaIsRefusedWithItsExactDiagnostics(_ name: String) throws {
        let folder = Self.folder.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
            .map { file in
                SchemaLoader.File(
                    path: "schema/\(file)",
                    contents: try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
            }
        var actual = ""
        do {
            _ = try SchemaLoader().load(files)
        } catch {
            actual = error.description + "\n"
        }
        let expectedFile = folder.appendingPathComponent("expected.txt")
        if ProcessInfo.processInfo.environment["AME_RECORD_FIXTURES"] == "1" {
            try actual.write(to: expectedFile, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedFile, encoding: .utf8)
        #expect(!actual.isEmpty, "the schema was accepted")
        #expect(actual == expected)
    }
}
