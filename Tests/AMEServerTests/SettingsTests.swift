import AMEServer
import Foundation
import Testing

/// Settings come from the environment over `.env` over defaults; `.env.example` lists them all;
/// invalid values are reported together, each with how to fix it.
@Suite struct SettingsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theCommittedEnvExampleListsEverySettingWithItsDefault() throws {
        let committed = try String(contentsOf: Self.root.appending(path: ".env.example"), encoding: .utf8)
        #expect(committed == Settings.example, "regenerate it: swift run ame-bench write-env-example > .env.example")
        for setting in Settings.all { #expect(committed.contains("# \(setting.name)=")) }
    }

    @Test func theEnvironmentOverridesTheEnvFileWhichOverridesTheDefaults() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "ame-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: ".env")
        try "# comment\nAME_PORT=9091\nAME_MAX_DEPTH=12\nAME_JWT_SECRET=from-file\n".write(
            to: file, atomically: true, encoding: .utf8)
        let values = try await Settings.load(environment: ["AME_PORT": "9092"], environmentFile: file.path)
        #expect(values["AME_PORT"] == "9092")
        #expect(values["AME_MAX_DEPTH"] == "12")
        #expect(values["AME_MAX_COMPLEXITY"] == "1000")
        #expect(values["AME_JWT_SECRET"] == "from-file")
        let missing = try await Settings.load(environment: [:], environmentFile: folder.appending(path: "none").path)
        #expect(missing["AME_PORT"] == "8080")
    }

    @Test func secretsAreRedactedWhenPrinted() {
        let text = Settings.printable([
            "AME_JWT_SECRET": "jwt", "AWS_SECRET_ACCESS_KEY": "aws", "AME_REDIS_URL": "redis://:pw@cache:6379/2",
            "AME_PORT": "8080",
        ])
        #expect(text.contains("AME_JWT_SECRET=***\n"))
        #expect(text.contains("AWS_SECRET_ACCESS_KEY=***\n"))
        #expect(text.contains("AME_REDIS_URL=redis://:***@cache:6379/2\n"))
        #expect(text.contains("AME_PORT=8080\n"))
        #expect(!text.contains("pw") && !text.contains("jwt\n") && !text.contains("=aws"))
    }

    @Test func everyInvalidValueIsReportedWithHowToFixIt() {
        let problems = Settings.problems([
            "AME_PORT": "eighty", "AME_STORE": "mongo", "AME_CACHE_ENABLED": "maybe", "AME_REDIS_URL": "http://x",
            "AME_TENANT_LIMITS": "[1]", "AME_LOG_LEVEL": "loud", "AME_MAX_DEPTH": "10",
        ])
        #expect(problems.count == 6)
        #expect(problems.contains("AME_PORT: `eighty` is not a whole number from 0 to 65535"))
        #expect(problems.contains("AME_STORE: `mongo` is not one of embedded, dynamodb"))
        #expect(problems.allSatisfy { !$0.hasPrefix("AME_MAX_DEPTH") })
    }
}
