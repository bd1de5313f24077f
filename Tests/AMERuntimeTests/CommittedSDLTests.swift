import AMEGenerated
import Foundation
import Testing

/// `docs/schema.graphql` is the SDL the build generates (CI also checks it with `ame-codegen --check-sdl`).
@Test func theCommittedSDLMatchesTheGeneratedSchema() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let committed = try String(contentsOf: root.appendingPathComponent("docs/schema.graphql"), encoding: .utf8)
    #expect(committed == AMESchemaRegistry.sdl + "\n" || committed == AMESchemaRegistry.sdl)
}
