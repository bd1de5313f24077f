// swift-tools-version:5.4
// The tools version is 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's `main` so
// tests can link it, and the rename needs a `main` the fuzz targets do not have (libFuzzer brings
// its own). Build with `scripts/fuzz.sh`, which passes `toolset.json` (the fuzzer flags for these
// targets and AME's code, not for the build tools such as ame-codegen).
import Foundation
import PackageDescription

// AME is used by path; SwiftPM names a path dependency after its folder.
let ame = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("..").standardizedFileURL.lastPathComponent.lowercased()

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: [.product(name: "AMEFuzzTargets", package: ame)])
}

let package = Package(
    name: "AMEFuzz",
    dependencies: [.package(path: "..")],
    targets: [fuzzTarget("fuzz-request"), fuzzTarget("fuzz-schema"), fuzzTarget("fuzz-dynamodb")]
)
