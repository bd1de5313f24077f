import AMECodegen
import AMESchema
import ArgumentParser
import Foundation

/// `ame-codegen`: turns `schema/*.yaml` into Swift and GraphQL SDL.
///
/// Run by the build plugin on every `swift build`, and by hand to read the generated code or to
/// check that a committed SDL is up to date.
@main
struct AMECodegenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ame-codegen",
        abstract: "Generate AME's Swift code and GraphQL SDL from schema YAML files."
    )

    @Option(name: .long, help: "A folder of schema YAML files.")
    var schema: String?

    @Option(name: .customLong("file"), help: "A schema YAML file (repeatable).")
    var files: [String] = []

    @Option(name: .long, help: "Write the generated Swift files into this folder.")
    var output: String?

    @Option(name: .customLong("check-sdl"), help: "Fail if this SDL file differs from the generated SDL.")
    var checkSDL: String?

    @Option(name: .customLong("write-sdl"), help: "Write the generated SDL to this file.")
    var writeSDL: String?

    func run() throws {
        var paths = files
        if let schema {
            let entries = try FileManager.default.contentsOfDirectory(atPath: schema)
            paths += entries.filter { $0.hasSuffix(".yaml") }.map { "\(schema)/\($0)" }
        }
        guard !paths.isEmpty else {
            throw ValidationError("no schema files: pass --schema DIR or --file FILE")
        }
        let inputs = try paths.map { path in
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            return SchemaLoader.File(
                path: relativeToWorkingDirectory(resolved), contents: try String(contentsOfFile: path, encoding: .utf8))
        }
        let loaded: Schema
        do {
            loaded = try SchemaLoader().load(inputs)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode.failure
        }
        let sdl = SDLRenderer(schema: loaded).render()
        if let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            for file in GeneratedFiles.render(loaded, files: inputs.map(\.path)) {
                try writeIfChanged(file.contents, to: "\(output)/\(file.name)")
            }
        }
        if let writeSDL {
            try writeIfChanged(sdl, to: writeSDL)
        }
        if let checkSDL {
            let committed = (try? String(contentsOfFile: checkSDL, encoding: .utf8)) ?? ""
            guard committed == sdl else {
                FileHandle.standardError.write(
                    Data(
                        "\(checkSDL): error: the SDL is out of date (run `swift run ame-codegen --schema schema --write-sdl \(checkSDL)`)\n"
                            .utf8)
                )
                throw ExitCode.failure
            }
        }
        if output == nil && writeSDL == nil && checkSDL == nil {
            print(sdl, terminator: "")
        }
    }

    private func relativeToWorkingDirectory(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// Writes only when the contents change, so unchanged outputs do not trigger recompilation.
    private func writeIfChanged(_ contents: String, to path: String) throws {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8), existing == contents { return }
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
