import AMERuntime
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `ame migrate` as an operator runs it: the real process against the original's tables on
/// moto_server, killed with SIGKILL half-way, run again, verified, then `ame serve`.
@Suite(.serialized) struct MigrateProcessTests {
    /// The `ame` binary next to the test bundle (built by `swift build --build-tests`).
    static func binary() -> URL? {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let found = [
            bundle.appendingPathComponent("ame"), bundle.deletingLastPathComponent().appendingPathComponent("ame"),
        ]
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        if found == nil {
            #expect(!MotoServer.integrationRequired, "the ame binary was not built next to the tests")
            print(
                "MigrateProcessTests: skipped, the ame binary is missing (set AME_REQUIRE_INTEGRATION=1 to require it)")
        }
        return found
    }

    /// A process's output, collected as it comes.
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        let pipe = Pipe()

        init() {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                guard let self, !chunk.isEmpty else { return }
                self.lock.withLock { self.data.append(chunk) }
            }
        }

        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

        /// Waits up to `seconds` for `needle` to appear.
        func wait(for needle: String, seconds: Double = 120) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if text.contains(needle) { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        func close() { pipe.fileHandleForReading.readabilityHandler = nil }
    }

    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func environment(_ original: OriginalTables, prefix: String) -> [String: String] {
        var environment = ProcessCoverage.environment()
        environment["AWS_ACCESS_KEY_ID"] = "testing"
        environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        environment["AWS_REGION"] = "us-east-1"
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = original.endpoint.absoluteString
        environment["AME_TABLE_PREFIX"] = prefix
        environment["AME_STORE"] = "dynamodb"
        return environment
    }

    static func start(
        _ binary: URL, _ arguments: [String], _ environment: [String: String]
    ) throws -> (
        Process, Output, Output
    ) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = Output()
        let errors = Output()
        process.standardOutput = output.pipe
        process.standardError = errors.pipe
        try process.run()
        return (process, output, errors)
    }

    static func run(_ binary: URL, _ arguments: [String], _ environment: [String: String]) async throws -> Run {
        let (process, output, errors) = try start(binary, arguments, environment)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(50))
        output.close()
        errors.close()
        return Run(status: process.terminationStatus, output: output.text, errors: errors.text)
    }

    @Test func killedHalfWayASecondRunFinishesAThirdChangesNothingThenVerifyAndServe() async throws {
        guard let binary = Self.binary(), let original = try await OriginalTables.make() else { return }
        let fixture = try original.fill(scale: 4)
        let environment = Self.environment(original, prefix: "ame\(UUID().uuidString.prefix(8).lowercased())-")
        let arguments = [
            "migrate", "from-original", "--from-prefix", original.prefix, "--segments", "1", "--page-size", "2",
        ]

        let (first, _, progress) = try Self.start(binary, arguments, environment)
        #expect(try await progress.wait(for: "contact_profiles", seconds: 120), "\(progress.text)")
        #expect(try await progress.wait(for: ", done", seconds: 120), "\(progress.text)")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        progress.close()
        #expect(first.terminationReason == .uncaughtSignal, "killed half-way: \(progress.text)")
        #expect(progress.text.contains("items/s, ETA"))

        let second = try await Self.run(binary, arguments, environment)
        #expect(second.status == 0, "\(second.errors)")
        #expect(second.errors.contains("resuming pass 1 from its checkpoints"))
        #expect(second.output.contains("pass 1 finished (resumed)"), "\(second.output)")

        let third = try await Self.run(binary, arguments, environment)
        #expect(third.status == 0)
        #expect(third.output.contains("nothing to write, AME already holds the original's data"), "\(third.output)")

        let verify = ["migrate", "verify", "--from-prefix", original.prefix]
        let equal = try await Self.run(binary, verify, environment)
        #expect(equal.status == 0, "\(equal.output)\(equal.errors)")
        #expect(equal.output.contains("ame migrate verify: equal"))

        // A write on the original's side: verify names it, the next run copies it.
        guard case .object(var contact) = fixture["contact_profiles"]?.first else { return }
        contact["email"] = ["S": "moved#1@dev.example"]
        try original.put("contact_profiles", .object(contact))
        let stale = try await Self.run(binary, verify, environment)
        #expect(stale.status == 1)
        #expect(stale.output.contains("differs from the original"), "\(stale.output)")
        let fourth = try await Self.run(binary, arguments, environment)
        #expect(fourth.status == 0)
        #expect(
            fourth.output.contains("pass 3 finished: 3 items written"),
            "the row and its old and new email guards: \(fourth.output)")
        #expect(try await Self.run(binary, verify, environment).status == 0)

        // Then AME serves the data.
        let (server, output, _) = try Self.start(binary, ["serve", "--port", "0"], environment)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        #expect(try await output.wait(for: "/graphql", seconds: 60), "serve did not start")
        let port = output.text.split(separator: ":").compactMap { Int($0.prefix { $0.isNumber }) }.last ?? 0
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphql")!)
        request.httpMethod = "POST"
        request.setValue("dev", forHTTPHeaderField: "X-Endpoint-Id")
        request.setValue("dev", forHTTPHeaderField: "X-Part-Id")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let query = "{ contactProfileList(limit: 100) { contactProfileList { email data place { businessName } } } }"
        request.httpBody = Data((["query": .string(query)] as JSONValue).jsonText.utf8)
        let (body, _) = try await URLSession.shared.data(for: request)
        let contacts =
            try JSONValue.parse(bytes: Array(body))["data"]?["contactProfileList"]?["contactProfileList"]?
            .arrayValue ?? []
        let expected = fixture["contact_profiles"]?.filter { $0["partition_key"]?["S"] == "dev#dev" } ?? []
        #expect(contacts.count == expected.count, "\(String(decoding: body, as: UTF8.self))")
        #expect(contacts.contains { $0["email"] == "moved#1@dev.example" })
        #expect(
            contacts.allSatisfy { $0["place"]?["businessName"]?.stringValue != nil && $0["data"]?["department"] != nil }
        )
    }

    @Test func theOriginalsTablesAreRefusedAsAMEsOwnByEveryCommand() async throws {
        guard let binary = Self.binary(), let original = try await OriginalTables.make() else { return }
        let environment = Self.environment(original, prefix: original.prefix)
        let create = try await Self.run(binary, ["tables", "create"], environment)
        #expect(create.status != 0)
        #expect(!create.output.contains("ready"))
        #expect(
            create.errors.contains(
                "table \(original.prefix)contact_profiles: its keys are hash partition_key (S), range contact_uuid (S), but AME expects hash tenant (S), range contact_uuid (S)"
            ), "\(create.errors)")
        let serve = try await Self.run(binary, ["serve", "--port", "0"], environment)
        #expect(serve.status != 0)
        #expect(serve.errors.contains("AME_TABLE_PREFIX"), "\(serve.errors)")
        let migrate = try await Self.run(
            binary, ["migrate", "from-original", "--from-prefix", original.prefix], environment)
        #expect(migrate.status == 64)
        #expect(migrate.errors.contains("set AME_TABLE_PREFIX to a prefix of AME's own, e.g. ame-v2-"))
    }
}
