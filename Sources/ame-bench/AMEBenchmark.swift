import AMECodegen
import AMESchema
import AMEServer
import ArgumentParser
import Foundation

/// `ame-bench`: AME's benchmarks. Results go to docs/PERFORMANCE.md with the command that made them.
@main
struct AMEBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ame-bench",
        abstract: "Measure AME's performance.",
        subcommands: [
            CodegenBenchmark.self, ExecutorBenchmark.self, RequestBenchmark.self, CacheBenchmark.self,
            LayoutsBenchmark.self, RateLimitBenchmark.self,
            WriteSyntheticSchema.self,
            WriteEnvExample.self,
        ]
    )
}

/// Times the generator (load + validate + render Swift and SDL) on a synthetic schema.
struct CodegenBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codegen", abstract: "Time schema loading and code generation for N entities.")

    @Option(help: "Number of entities.") var entities = 200
    @Option(help: "Measured runs (after one warm-up run).") var iterations = 10

    func run() throws {
        let sources = SyntheticSchema.files(entities: entities)
        let files = sources.map { SchemaLoader.File(path: "schema/\($0.name)", contents: $0.contents) }
        let clock = ContinuousClock()
        var load: [Duration] = []
        var render: [Duration] = []
        var totalLines = 0
        for iteration in 0...iterations {
            let start = clock.now
            let schema = try SchemaLoader().load(files)
            let loaded = clock.now
            let generated = GeneratedFiles.render(schema, files: files.map(\.path))
            let done = clock.now
            if iteration == 0 {
                totalLines = generated.reduce(0) { $0 + $1.contents.split(separator: "\n").count }
                continue
            }
            load.append(loaded - start)
            render.append(done - loaded)
        }
        let total = zip(load, render).map { $0 + $1 }
        print("codegen: \(entities) entities, \(files.count) files, \(totalLines) generated lines, \(iterations) runs")
        print("  load + validate   median \(milliseconds(median(load)))  max \(milliseconds(load.max()!))")
        print("  render Swift+SDL  median \(milliseconds(median(render)))  max \(milliseconds(render.max()!))")
        print("  total             median \(milliseconds(median(total)))  max \(milliseconds(total.max()!))")
    }

    private func median(_ values: [Duration]) -> Duration {
        values.sorted()[values.count / 2]
    }

    private func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(format: "%8.1f ms", ms)
    }
}

/// Writes a synthetic schema folder, for build-time measurements of large schemas.
struct WriteSyntheticSchema: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-schema", abstract: "Write a synthetic schema of N entities into a folder.")

    @Option(help: "Number of entities.") var entities = 50
    @Argument(help: "The folder to write (its YAML files are replaced).") var folder: String

    func run() throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try manager.contentsOfDirectory(atPath: folder) where name.hasSuffix(".yaml") {
            try manager.removeItem(atPath: "\(folder)/\(name)")
        }
        for file in SyntheticSchema.files(entities: entities) {
            try file.contents.write(toFile: "\(folder)/\(file.name)", atomically: true, encoding: .utf8)
        }
    }
}

/// Prints `.env.example` from the list of settings (`swift run ame-bench write-env-example > .env.example`).
struct WriteEnvExample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-env-example", abstract: "Print .env.example: every setting with its default.")

    func run() {
        print(Settings.example, terminator: "")
    }
}
