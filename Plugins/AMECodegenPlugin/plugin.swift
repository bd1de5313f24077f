import Foundation
import PackagePlugin

/// Runs `ame-codegen` over the YAML files of the target it is applied to.
///
/// The target holds a `schema` symlink to the project's `schema/` folder, so SwiftPM sees the
/// YAML files as the target's own: adding, editing or deleting one re-plans this command.
/// The outputs are a fixed set derived from the input file names: one Swift file per YAML file
/// plus the schema registry.
@main
struct AMECodegenPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let inputs = target.sourceFiles(withSuffix: "yaml").map(\.url)
            .sorted { $0.path < $1.path }
        guard !inputs.isEmpty else {
            Diagnostics.error(
                "\(target.name): no schema/*.yaml files found (add a `schema` folder or symlink with one YAML file per entity)"
            )
            return []
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let tool = try context.tool(named: "ame-codegen")
        var arguments = ["--output", output.path]
        for input in inputs { arguments += ["--file", input.path] }
        let outputs = ([GeneratedFileNames.registry] + inputs.map(GeneratedFileNames.forSchemaFile))
            .map { output.appending(path: $0) }
        return [
            .buildCommand(
                displayName: "Generating AME code from \(inputs.count) schema file(s)",
                executable: tool.url,
                arguments: arguments,
                // A coverage build instruments the generator too; its counts are the build's, not
                // the tests', so they go to the plugin's work folder instead of `default.profraw`
                // in the package's root.
                environment: [
                    "LLVM_PROFILE_FILE": context.pluginWorkDirectoryURL.appending(path: "ame-codegen.profraw").path
                ],
                inputFiles: inputs,
                outputFiles: outputs
            )
        ]
    }
}

/// The names of the generated files; the generator uses the same rule.
enum GeneratedFileNames {
    static let registry = "AMESchemaRegistry.swift"

    static func forSchemaFile(_ url: URL) -> String {
        url.deletingPathExtension().lastPathComponent + ".yaml.swift"
    }
}
