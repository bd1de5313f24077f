import AMECodegen
import AMESchema
import Foundation
import Testing

/// The generated Swift and SDL of the Library example's schema (which uses every kind of field,
/// index and relation) match the reviewed files in `Fixtures/golden`, byte for byte.
/// `AME_RECORD_FIXTURES=1` rewrites them after an intended change.
@Suite struct GoldenGenerationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let schemaFolder = root.appendingPathComponent("../../Examples/Library/schema").standardizedFileURL
    static let goldenFolder = root.appendingPathComponent("Fixtures/golden")

    static func schemaFiles() throws -> [SchemaLoader.File] {
        try FileManager.default.contentsOfDirectory(atPath: schemaFolder.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { name in
                SchemaLoader.File(
                    path: "schema/\(name)",
                    contents: try String(contentsOf: schemaFolder.appendingPathComponent(name), encoding: .utf8))
            }
    }

    @Test func generatedFilesMatchTheGoldenFiles() throws {
        let files = try Self.schemaFiles()
        let schema = try SchemaLoader().load(files)
        var generated = GeneratedFiles.render(schema, files: files.map(\.path))
        generated.append(("schema.graphql", SDLRenderer(schema: schema).render()))
        let record = ProcessInfo.processInfo.environment["AME_RECORD_FIXTURES"] == "1"
        for file in generated {
            // `.golden` keeps the reviewed copies out of builds and formatting.
            let url = Self.goldenFolder.appendingPathComponent(file.name + ".golden")
            if record { try file.contents.write(to: url, atomically: true, encoding: .utf8) }
            let golden = try String(contentsOf: url, encoding: .utf8)
            #expect(file.contents == golden, "\(file.name) differs from Fixtures/golden/\(file.name)")
        }
        let goldenNames = try FileManager.default.contentsOfDirectory(atPath: Self.goldenFolder.path).sorted()
        #expect(goldenNames == generated.map { $0.name + ".golden" }.sorted())
    }
}
