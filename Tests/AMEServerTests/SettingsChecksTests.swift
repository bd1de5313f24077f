import AMEServer
import Testing

/// Each setting's own check: a wrong value is reported with the setting's name, what is wrong
/// and how to fix it; a right value is no problem.
@Suite struct SettingsChecksTests {
    @Test func aShortJWTSecretAndANonHTTPEndpointAreReportedWithTheFix() {
        let problems = Settings.problems([
            "AME_JWT_SECRET": "short", "AWS_ENDPOINT_URL": "ftp://aws.example", "AWS_ENDPOINT_URL_S3": "http://",
            "AWS_ENDPOINT_URL_DYNAMODB": "localhost:4566",
        ])
        #expect(
            Set(problems) == [
                "AME_JWT_SECRET: is 5 bytes; an HS256 secret needs at least 32 (e.g. `openssl rand -hex 32`)",
                "AWS_ENDPOINT_URL: `ftp://aws.example` is not an http(s) URL",
                "AWS_ENDPOINT_URL_S3: `http://` is not an http(s) URL",
                "AWS_ENDPOINT_URL_DYNAMODB: `localhost:4566` is not an http(s) URL",
            ])
        // The secret's value is never repeated in the report.
        #expect(!problems.joined().contains("short"))
    }

    @Test func rightValuesAreNoProblem() {
        let problems = Settings.problems([
            "AME_JWT_SECRET": String(repeating: "k", count: 32), "AWS_ENDPOINT_URL": "https://aws.example",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5000", "AME_REDIS_URL": "redis://:pw@cache:6379/2",
            "AME_TENANT_LIMITS": #"{"acme": {"maxComplexity": 5000}}"#, "AME_LAMBDA_TRUSTED_CLAIMS": "tenant,part",
            "AME_LAMBDA_DEADLINE_MARGIN_MS": "250", "AME_LAMBDA_MAX_EVENT_BYTES": "6291456",
            "AME_LAMBDA_TRUST_INVOKER": "true",
        ])
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func outOfRangeAndMalformedLambdaSettingsAreEachReported() {
        let problems = Settings.problems([
            "AME_LAMBDA_DEADLINE_MARGIN_MS": "5", "AME_LAMBDA_MAX_EVENT_BYTES": "100",
            "AME_LAMBDA_TRUST_INVOKER": "perhaps", "AME_REDIS_URL": "redis://cache:notaport",
        ])
        let names = Set(problems.compactMap { $0.split(separator: ":").first.map(String.init) })
        #expect(
            names == [
                "AME_LAMBDA_DEADLINE_MARGIN_MS", "AME_LAMBDA_MAX_EVENT_BYTES", "AME_LAMBDA_TRUST_INVOKER",
                "AME_REDIS_URL",
            ])
        #expect(problems.contains { $0.hasPrefix("AME_LAMBDA_DEADLINE_MARGIN_MS: `5` ") && $0.contains("10") })
        #expect(problems.contains { $0.hasPrefix("AME_LAMBDA_TRUST_INVOKER: `perhaps` ") })
    }
}
