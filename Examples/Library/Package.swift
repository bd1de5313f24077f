// swift-tools-version:6.1
import Foundation
import PackageDescription

// AME is used by path here; SwiftPM names a path dependency after its folder.
let ameFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardizedFileURL
let ame = ameFolder.lastPathComponent.lowercased()

let package = Package(
    name: "Library",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../..")
    ],
    targets: [
        // The plugin generates this target's code from `schema/` (linked as `schema`).
        .target(
            name: "LibraryGenerated",
            dependencies: [.product(name: "AMERuntime", package: ame)],
            plugins: [.plugin(name: "AMECodegenPlugin", package: ame)]
        ),
        .executableTarget(
            name: "library-server",
            dependencies: [
                "LibraryGenerated",
                .product(name: "AMERuntime", package: ame),
                .product(name: "AMEServer", package: ame),
            ]
        ),
    ]
)
