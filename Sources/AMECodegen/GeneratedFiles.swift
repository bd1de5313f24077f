import AMESchema

/// The fixed set of generated files: one per schema file, plus the registry.
public enum GeneratedFiles {
    public static let registry = "AMESchemaRegistry.swift"

    /// `schema/contact_profile.yaml` → `contact_profile.yaml.swift` (the plugin uses the same rule).
    public static func name(forSchemaFile path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let stem = base.hasSuffix(".yaml") ? String(base.dropLast(5)) : base
        return stem + ".yaml.swift"
    }

    /// Every generated file, by name, for a loaded schema.
    public static func render(_ schema: Schema, files: [String]) -> [(name: String, contents: String)] {
        let sdl = SDLRenderer(schema: schema).render()
        let renderer = SwiftRenderer(schema: schema, sdl: sdl)
        var result = [(registry, renderer.renderRegistry())]
        for file in files.sorted() {
            result.append((name(forSchemaFile: file), renderer.renderFile(file)))
        }
        return result
    }
}
