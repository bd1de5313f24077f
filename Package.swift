// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ame",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AMESchema", targets: ["AMESchema"]),
        .library(name: "AMERuntime", targets: ["AMERuntime"]),
        .library(name: "AMEServer", targets: ["AMEServer"]),
        .executable(name: "ame-codegen", targets: ["ame-codegen"]),
        .executable(name: "ame", targets: ["ame"]),
        .plugin(name: "AMECodegenPlugin", targets: ["AMECodegenPlugin"]),
        // What the fuzz targets in Fuzz/ call (and the tests feed the committed corpus through).
        .library(name: "AMEFuzzTargets", targets: ["AMEFuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/GraphQLSwift/GraphQL.git", exact: "4.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Counts allocations in ame-bench (which preloads it); nothing else links it.
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        // The system SQLite library behind the embedded store.
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // YAML → validated schema model. Shared by the generator and its tests.
        .target(
            name: "AMESchema",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // Schema model → Swift source and GraphQL SDL.
        .target(
            name: "AMECodegen",
            dependencies: ["AMESchema"]
        ),
        .executableTarget(
            name: "ame-codegen",
            dependencies: [
                "AMESchema",
                "AMECodegen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the table layouts do to a large tenant, as a pure function (`ame-bench layouts`).
        .target(
            name: "AMELayoutSimulation",
            dependencies: ["AMERuntime"]
        ),
        // Benchmarks: `swift run -c release ame-bench --help` (results in docs/PERFORMANCE.md).
        .executableTarget(
            name: "ame-bench",
            dependencies: [
                "AMESchema",
                "AMECodegen",
                "AMERuntime",
                "AMELayoutSimulation",
                "AMEGenerated",
                "AMEServer",
                "AMEReference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]
        ),
        .plugin(
            name: "AMECodegenPlugin",
            capability: .buildTool(),
            dependencies: ["ame-codegen"]
        ),
        // The engine: store, executor, errors, cost accounting.
        .target(
            name: "AMERuntime",
            dependencies: [
                "CSQLite",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // Generated from schema/*.yaml by the plugin on every build.
        .target(
            name: "AMEGenerated",
            dependencies: ["AMERuntime"],
            plugins: ["AMECodegenPlugin"]
        ),
        // GraphQLSwift's own execution with per-field resolvers over the same schema and store:
        // what the differential tests compare AME with, and the benchmarks' baseline.
        .target(
            name: "AMEReference",
            dependencies: ["AMERuntime", .product(name: "GraphQL", package: "GraphQL")]
        ),
        // HTTP layer: GraphQL over HTTP, tenancy, health.
        .target(
            name: "AMEServer",
            dependencies: [
                "AMERuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // The Lambda host: the Runtime API client, and a channel for in-process requests.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The fuzz targets' entry functions: bytes in, a small outcome out (Fuzz/README.md).
        .target(
            name: "AMEFuzzTargets",
            dependencies: [
                "AMESchema", "AMERuntime", "AMEGenerated", "AMEServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ame",
            dependencies: [
                "AMEServer",
                "AMEGenerated",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AMESchemaTests",
            dependencies: ["AMESchema", "AMECodegen"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "AMERuntimeTests",
            dependencies: [
                "AMERuntime", "AMEGenerated", "AMEServer", "AMEReference", "AMELayoutSimulation",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "AMEServerTests",
            dependencies: [
                "AMEServer",
                "AMEFuzzTargets",
                "AMEGenerated",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
